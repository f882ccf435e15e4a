"""The attack-path knowledge file (`data/govern/attack_paths.yaml`), validated at
load: privileged tool keywords, untrusted-input tools, sensitivity labels,
production markers, enumeration bounds and the path rules."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from aiposture.model import Severity

# libyaml's safe loader: the same safety as yaml.safe_load, several times faster.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ENTRY_CLASSES = ("internet", "untrusted-input", "leaked-credential")
JEWEL_CLASSES = ("sensitive-data", "privileged-tool", "production-credential")


class PathRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^AIP-PATH-\d{3}$")
    entry: str
    jewel: str
    title: str
    severity: Severity
    rationale: str
    remediation: str
    frameworks: dict[str, list[str]] = Field(min_length=1)


class Knowledge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    privileged_tool_keywords: list[str]
    untrusted_input_tools: dict[str, list[str]]
    sensitive_labels: list[str]
    production_markers: list[str]
    finding_relations: dict[str, list[str]] = Field(default_factory=dict)
    max_hops: int = Field(ge=1, le=20)
    max_paths: int = Field(ge=1, le=10_000)
    long_path_hops: int = Field(ge=1)
    rules: list[PathRule]

    def finding_relation(self, rule: str, relation: str) -> bool:
        """Whether a finding of `rule` adds `relation` (ids, or prefixes ending in "-")."""
        return any(
            rule == r or (r.endswith("-") and rule.startswith(r))
            for r in self.finding_relations.get(relation, [])
        )

    def rule_for(self, entry: str, jewel: str) -> PathRule | None:
        for rule in self.rules:
            if rule.entry == entry and rule.jewel == jewel:
                return rule
        return None


@cache
def knowledge() -> Knowledge:
    text = (
        resources.files("aiposture.data").joinpath("govern", "attack_paths.yaml").read_text(encoding="utf-8")
    )
    return Knowledge.model_validate(yaml.load(text, Loader=SAFE_LOADER))


def tool_name(tool: Any) -> str:
    if isinstance(tool, dict):
        return str(tool.get("name") or tool.get("id") or "")
    return str(tool)


def is_privileged_tool(tool: Any) -> bool:
    """A tool is privileged when it says so, or its name matches a privileged keyword."""
    if isinstance(tool, dict):
        flag = tool.get("privileged")
        if isinstance(flag, bool):
            return flag
        privileges = tool.get("privileges")
        if privileges:
            return True
    name = tool_name(tool).lower()
    return any(k in name for k in knowledge().privileged_tool_keywords)


def tool_requires_approval(tool: Any) -> bool:
    if not isinstance(tool, dict):
        return False
    for key in ("approval", "requires_approval", "human_approval", "human_in_the_loop"):
        value = tool.get(key)
        if value is True or (
            isinstance(value, str) and value.lower() in ("required", "always", "true", "yes")
        ):
            return True
    return False


def untrusted_inputs_of_tool(tool: Any) -> list[str]:
    name = tool_name(tool).lower()
    return sorted(
        kind for kind, words in knowledge().untrusted_input_tools.items() if any(w in name for w in words)
    )


def is_sensitive(value: Any) -> bool:
    labels = knowledge().sensitive_labels
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and v.lower() in labels for v in values)


def is_production(text: str) -> bool:
    words = [w for w in _split_words(text.lower()) if w]
    return any(m in words for m in knowledge().production_markers)


def _split_words(text: str) -> list[str]:
    out, word = [], []
    for ch in text:
        if ch.isalnum():
            word.append(ch)
        else:
            out.append("".join(word))
            word = []
    out.append("".join(word))
    return out
