"""The posture score: one number 0-100 from check results, that explains itself.

Formula (docs/posture.md has the worked example):

    w(check)  = severity weight: critical 10, high 6, medium 3, low 1, info 0
    c(check)  = credit in [0, 1]: 1 for pass; for fail, the share of its subjects that
                pass (2 of 10 resources public -> 0.8); 0 when it has no subjects
    A, U      = assessed checks, checks not assessed for want of evidence; checks with
                nothing in scope (no model files, no agents) are left out entirely
    D         = sum(w over A) + LAMBDA * sum(w over U)          (LAMBDA = 0.5)
    score     = 100 * sum(w * c over A) / D

Unassessed checks count at half weight in the denominator: a control nobody measures
is not a control you can claim, but missing evidence is not as bad as a failure. The
100 points then split exactly into the score, the points each failed check costs
(100 * w * (1 - c) / D) and the points each unassessed check costs
(100 * LAMBDA * w / D). A recommendation's value is the exact score gain of fixing
the check (or of assessing it and passing), computed by re-scoring.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from aiposture.govern.checks.model import CheckResult, Status
from aiposture.model import Severity

SEVERITY_WEIGHT: dict[Severity, float] = {
    Severity.CRITICAL: 10.0,
    Severity.HIGH: 6.0,
    Severity.MEDIUM: 3.0,
    Severity.LOW: 1.0,
    Severity.INFO: 0.0,
}
LAMBDA = 0.5


class Cost(BaseModel):
    check: str
    title: str
    severity: Severity
    status: Status
    points: float


class Recommendation(BaseModel):
    check: str
    title: str
    severity: Severity
    action: str  # "fix" (a failed check) or "assess" (gather the missing evidence)
    points: float  # score gained by doing it
    remediation: str
    failing: list[str] = Field(default_factory=list)
    why: str = ""


class Score(BaseModel):
    score: float
    coverage: float  # share of the total check weight that was assessed, 0-100
    passed: int
    failed: int
    not_assessed: int
    costs: list[Cost]
    recommendations: list[Recommendation]


def _terms(results: list[CheckResult]) -> tuple[float, float]:
    numerator = 0.0
    denominator = 0.0
    for r in results:
        w = SEVERITY_WEIGHT[r.severity]
        if not r.applicable:
            continue
        if r.status is Status.NOT_ASSESSED:
            denominator += LAMBDA * w
        else:
            denominator += w
            numerator += w * (1.0 if r.status is Status.PASS else r.pass_fraction)
    return numerator, denominator


def raw_score(results: list[CheckResult]) -> float:
    numerator, denominator = _terms(results)
    return 100.0 * numerator / denominator if denominator > 0 else 0.0


def _gain(r: CheckResult, numerator: float, denominator: float) -> float:
    """Exact score gain of making `r` pass (the same as re-scoring with it passing)."""
    w = SEVERITY_WEIGHT[r.severity]
    if r.status is Status.FAIL:
        return 100.0 * w * (1.0 - r.pass_fraction) / denominator
    before = numerator / denominator
    after = (numerator + w) / (denominator + (1.0 - LAMBDA) * w)
    return 100.0 * (after - before)


def score(results: list[CheckResult], top: int = 10) -> Score:
    numerator, denominator = _terms(results)
    current = 100.0 * numerator / denominator if denominator > 0 else 0.0
    total_weight = sum(SEVERITY_WEIGHT[r.severity] for r in results if r.applicable)
    assessed_weight = sum(SEVERITY_WEIGHT[r.severity] for r in results if r.status is not Status.NOT_ASSESSED)
    costs: list[Cost] = []
    recs: list[Recommendation] = []
    for r in results:
        w = SEVERITY_WEIGHT[r.severity]
        if r.status is Status.PASS or not r.applicable or w == 0 or denominator == 0:
            continue
        lost = w * (1.0 - r.pass_fraction) if r.status is Status.FAIL else LAMBDA * w
        costs.append(
            Cost(
                check=r.id,
                title=r.title,
                severity=r.severity,
                status=r.status,
                points=round(100.0 * lost / denominator, 2),
            )
        )
        if top <= 0:
            continue
        gain = _gain(r, numerator, denominator)
        recs.append(
            Recommendation(
                check=r.id,
                title=r.title,
                severity=r.severity,
                action="fix" if r.status is Status.FAIL else "assess",
                points=round(gain, 2),
                remediation=r.remediation,
                failing=r.failing[:20],
                why=r.why,
            )
        )
    costs.sort(key=lambda c: (-c.points, -c.severity.rank, c.check))
    recs.sort(key=lambda x: (-x.points, x.action != "fix", -x.severity.rank, x.check))
    return Score(
        score=round(current, 1),
        coverage=round(100.0 * assessed_weight / total_weight, 1) if total_weight else 0.0,
        passed=sum(r.status is Status.PASS for r in results),
        failed=sum(r.status is Status.FAIL for r in results),
        not_assessed=sum(r.status is Status.NOT_ASSESSED for r in results),
        costs=costs,
        recommendations=recs[:top],
    )
