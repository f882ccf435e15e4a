"""Finding rules as data: every YAML file under `data/discover/rules/` holds a list of
rules (id, title, severity, rationale, remediation, frameworks). Scanners name a
rule id and the location; title, severity, fix and framework mappings come from the
data, so adding or re-grading a rule is a data change."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from aiposture.model import Finding, Location, Severity


class Rule(BaseModel):
    id: str = Field(pattern=r"^AIP-[A-Z]+-\d{3}$")
    title: str
    severity: Severity
    rationale: str
    remediation: str
    frameworks: dict[str, list[str]] = Field(min_length=1)


# libyaml's safe loader when available: ten times faster, and every worker process loads
# the rules once at start.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def all_rules() -> dict[str, Rule]:
    """Load and validate every rule file once; duplicate ids are an error."""
    rules: dict[str, Rule] = {}
    folder = resources.files("aiposture.data").joinpath("discover", "rules")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith((".yaml", ".yml")):
            continue
        items = yaml.load(entry.read_text(encoding="utf-8"), Loader=_LOADER) or []
        for item in items:
            try:
                rule = Rule.model_validate(item)
            except ValidationError as exc:
                raise ValueError(f"invalid rule in {entry.name}: {exc}") from exc
            if rule.id in rules:
                raise ValueError(f"duplicate rule id {rule.id} in {entry.name}")
            rules[rule.id] = rule
    return rules


def make_finding(rule_id: str, location: Location | None, *, asset: str | None = None,
                 evidence: str = "", discriminator: str = "", **overrides: Any) -> Finding:
    """A Finding whose title, severity, remediation and frameworks come from the rule."""
    rule = all_rules()[rule_id]
    fields: dict[str, Any] = {
        "title": rule.title,
        "severity": rule.severity,
        "remediation": rule.remediation,
        "frameworks": rule.frameworks,
        "evidence": evidence,
    }
    fields.update(overrides)
    return Finding.make(rule_id, location, asset=asset, discriminator=discriminator, **fields)
