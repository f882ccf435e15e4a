"""Pattern rules as data: the pydantic schema of `src/aiposture/data/detect/*.yaml`.

One entry per sensitive type, Purview/Presidio style: regex patterns with a base
score, a named checksum, corroborating keywords within a proximity window, the
score thresholds for the confidence levels high/medium/low, framework mappings,
and a positive and a negative example that the rule test runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import re2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aiposture.detect.checksums import CHECKSUMS
from aiposture.errors import InputError
from aiposture.model import Severity
from aiposture.shipped import load_data_yaml

_STRICT = ConfigDict(extra="forbid", frozen=True)
_QUIET = re2.Options()
_QUIET.log_errors = False


class PatternSpec(BaseModel):
    """One regular expression (RE2 syntax) for a type. `group` is the capture group that
    holds the value (0: the whole match), so a pattern may match `key = VALUE` and
    report only VALUE."""

    model_config = _STRICT

    name: str
    regex: str
    score: float = Field(ge=0.0, le=1.0)
    group: int | str = 0

    @field_validator("regex")
    @classmethod
    def _compiles_in_re2(cls, value: str) -> str:
        try:
            re2.compile(value, _QUIET)
        except re2.error as exc:
            raise ValueError(f"not a valid RE2 expression: {exc}") from None
        return value


class ContextSpec(BaseModel):
    """Corroborating keywords: seen within `window` characters before or after the value
    they add `boost` to the score; with `required`, a value without them is dropped."""

    model_config = _STRICT

    keywords: list[str] = Field(min_length=1)
    window: int = Field(default=80, ge=1, le=1000)
    boost: float = Field(default=0.3, ge=0.0, le=1.0)
    required: bool = False


class ConfidenceLevels(BaseModel):
    """Score thresholds of the levels; below `medium` a detection is `low`."""

    model_config = _STRICT

    high: float = Field(default=0.85, ge=0.0, le=1.0)
    medium: float = Field(default=0.6, ge=0.0, le=1.0)

    def level(self, score: float) -> str:
        if score >= self.high:
            return "high"
        return "medium" if score >= self.medium else "low"


class Examples(BaseModel):
    model_config = _STRICT

    positive: list[str] = Field(min_length=1)
    negative: list[str] = Field(min_length=1)


class PatternRule(BaseModel):
    model_config = _STRICT

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
    type: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    title: str
    description: str = ""
    severity: Severity = Severity.MEDIUM
    patterns: list[PatternSpec] = Field(min_length=1)
    checksum: str | None = None
    context: ContextSpec | None = None
    entropy: float | None = Field(default=None, ge=0.0, le=8.0)
    stopwords: list[str] = Field(default_factory=list)
    confidence: ConfidenceLevels = Field(default_factory=ConfidenceLevels)
    frameworks: dict[str, list[str]] = Field(min_length=1)
    examples: Examples

    @field_validator("checksum")
    @classmethod
    def _known_checksum(cls, value: str | None) -> str | None:
        if value is not None and value not in CHECKSUMS:
            raise ValueError(f"unknown checksum {value!r}; known: {', '.join(sorted(CHECKSUMS))}")
        return value

    @field_validator("stopwords")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [w.lower() for w in value]

    @model_validator(mode="after")
    def _groups_exist(self) -> PatternRule:
        for p in self.patterns:
            compiled = re2.compile(p.regex)
            if isinstance(p.group, str) and p.group not in compiled.groupindex:
                raise ValueError(f"pattern {p.name!r}: no group named {p.group!r}")
            if isinstance(p.group, int) and p.group > compiled.groups:
                raise ValueError(f"pattern {p.name!r}: no group {p.group}")
        return self


class RuleFile(BaseModel):
    """A detector's rule file: `detector` is the registry name the rules belong to."""

    model_config = _STRICT

    detector: str
    version: int = 1
    rules: list[PatternRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> RuleFile:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate rule ids: {', '.join(dupes)}")
        return self


def first_error(exc: ValidationError) -> str:
    """"at rules.3.patterns.0.regex: <message>" — the first problem, where it is."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "top level"
    return f"at {where}: {first.get('msg')}"


def parse_rule_file(raw: Any, source: str) -> RuleFile:
    try:
        return RuleFile.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{source}: invalid rule file {first_error(exc)}") from None


def load_rule_file(path: Path) -> RuleFile:
    """Load a user rule file (YAML, safe loader)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read rule file {path}: {exc}") from None
    return parse_rule_file(raw, str(path))


def load_builtin_rules(name: str) -> RuleFile:
    """Load `aiposture/data/detect/<name>.yaml` shipped inside the package."""
    return parse_rule_file(load_data_yaml("detect", f"{name}.yaml"), f"data/detect/{name}.yaml")
