"""What a posture check is (data) and what evaluating one yields.

A check is pure data (STYLE.md rule 1): an id, a title, a severity, why it
matters, how to fix it, and one or more *evidence queries* — a query names a
kind from the query registry and its parameters. Framework mappings live in the
framework files (one per framework, requirement -> checks), so a check's
`frameworks` are derived from them and never written twice.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from aiposture.model import Severity


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_ASSESSED = "not_assessed"


class Query(BaseModel):
    """One evidence query: `kind` names a registered query, the rest are its arguments."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    params: dict[str, Any] = Field(default_factory=dict)


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^AIP-POSTURE-\d{3}$")
    title: str
    severity: Severity
    rationale: str
    remediation: str
    # Every query must hold for the check to pass (an AND); see checks.engine.
    evidence: list[Query] = Field(min_length=1)
    scope: str = Field(default="app", pattern=r"^(app|estate)$")
    frameworks: dict[str, list[str]] = Field(default_factory=dict)


class Outcome(BaseModel):
    """What one query (or a whole check) found.

    `subjects` counts the things the query looked at (apps, model files, resources),
    `failing` names the ones that failed; the score gives partial credit by their
    ratio, so fixing one of ten exposed resources is worth a tenth of the check.
    """

    status: Status
    why: str
    subjects: int = 0
    failing: list[str] = Field(default_factory=list)
    # False when there is nothing in scope to judge (no model files, no agents): such a
    # check is reported as not assessed but neither earns nor costs points.
    applicable: bool = True

    @property
    def pass_fraction(self) -> float:
        if self.status is Status.PASS:
            return 1.0
        if self.status is Status.NOT_ASSESSED or self.subjects <= 0:
            return 0.0
        return max(0.0, (self.subjects - len(self.failing)) / self.subjects)


class CheckResult(BaseModel):
    id: str
    title: str
    severity: Severity
    status: Status
    why: str
    subjects: int = 0
    failing: list[str] = Field(default_factory=list)
    pass_fraction: float = 0.0
    applicable: bool = True
    remediation: str = ""
    frameworks: dict[str, list[str]] = Field(default_factory=dict)
