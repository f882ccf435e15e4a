"""Compliance frameworks as data: one versioned file per framework under
`data/govern/frameworks/`, mapping each requirement to the posture checks that give
evidence for it (as Prowler's compliance files do). A check's own `frameworks` are
derived from these files, so a mapping is written once.

Coverage of a requirement follows from its checks: fail when any mapped check failed,
pass when every mapped check was assessed and passed, partial when some passed and the
rest were not assessed, not assessed when none could be, and `manual` when no
automated check maps to it (an organisational control a person must attest).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aiposture.govern.checks.model import Check, CheckResult, Status
from aiposture.govern.knowledge import SAFE_LOADER


class Requirement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str = ""
    group: str = ""
    checks: list[str] = Field(default_factory=list)


class Framework(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    version: str
    url: str = ""
    note: str = ""
    aliases: list[str] = Field(default_factory=list)
    requirements: list[Requirement]

    def requirement_ids(self) -> set[str]:
        return {r.id for r in self.requirements}


class RequirementStatus(BaseModel):
    id: str
    title: str
    group: str = ""
    status: str  # pass | fail | partial | not_assessed | manual
    checks: list[str] = Field(default_factory=list)


class FrameworkCoverage(BaseModel):
    id: str
    name: str
    version: str
    requirements: list[RequirementStatus]
    counts: dict[str, int]
    automated: int  # requirements with at least one check
    percent_passing: float  # of automated requirements that were assessed


@cache
def load_frameworks() -> tuple[Framework, ...]:
    folder = resources.files("aiposture.data").joinpath("govern", "frameworks")
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith((".yaml", ".yml")):
            continue
        try:
            fw = Framework.model_validate(yaml.load(entry.read_text(encoding="utf-8"), Loader=SAFE_LOADER))
        except ValidationError as exc:
            raise ValueError(f"invalid framework file {entry.name}: {exc}") from exc
        out.append(fw)
    return tuple(out)


def framework_ids() -> dict[str, Framework]:
    """Every framework by its id and by each alias (the keys findings use)."""
    index: dict[str, Framework] = {}
    for fw in load_frameworks():
        for key in (fw.id, *fw.aliases):
            index[key] = fw
    return index


def with_frameworks(checks: tuple[Check, ...]) -> tuple[Check, ...]:
    """Copies of the checks whose `frameworks` are filled from the framework files."""
    mapping: dict[str, dict[str, list[str]]] = {c.id: {} for c in checks}
    for fw in load_frameworks():
        for req in fw.requirements:
            for check_id in req.checks:
                if check_id in mapping:
                    mapping[check_id].setdefault(fw.id, []).append(req.id)
    return tuple(c.model_copy(update={"frameworks": mapping[c.id]}) for c in checks)


def _requirement_status(checks: list[str], results: dict[str, CheckResult]) -> str:
    if not checks:
        return "manual"
    statuses = [results[c].status for c in checks if c in results]
    if any(s is Status.FAIL for s in statuses):
        return "fail"
    passed = sum(s is Status.PASS for s in statuses)
    if statuses and passed == len(statuses):
        return "pass"
    return "partial" if passed else "not_assessed"


def coverage(results: list[CheckResult]) -> list[FrameworkCoverage]:
    by_id = {r.id: r for r in results}
    out = []
    for fw in load_frameworks():
        reqs = [
            RequirementStatus(
                id=r.id,
                title=r.title,
                group=r.group,
                checks=r.checks,
                status=_requirement_status(r.checks, by_id),
            )
            for r in fw.requirements
        ]
        counts: dict[str, int] = {}
        for r in reqs:
            counts[r.status] = counts.get(r.status, 0) + 1
        automated = sum(1 for r in reqs if r.checks)
        assessed = counts.get("pass", 0) + counts.get("fail", 0) + counts.get("partial", 0)
        pct = round(100.0 * counts.get("pass", 0) / assessed, 1) if assessed else 0.0
        out.append(
            FrameworkCoverage(
                id=fw.id,
                name=fw.name,
                version=fw.version,
                requirements=reqs,
                counts=counts,
                automated=automated,
                percent_passing=pct,
            )
        )
    return out
