"""The score formula of docs/posture.md, on hand-computed cases."""

from __future__ import annotations

import pytest

from aiposture.govern.checks.model import CheckResult, Status
from aiposture.govern.score import LAMBDA, SEVERITY_WEIGHT, raw_score, score
from aiposture.model import Severity


def r(
    cid: str, sev: str, status: Status, fraction: float | None = None, applicable: bool = True
) -> CheckResult:
    frac = fraction if fraction is not None else (1.0 if status is Status.PASS else 0.0)
    return CheckResult(
        id=cid,
        title=cid,
        severity=sev,
        status=status,
        why="w",
        pass_fraction=frac,
        applicable=applicable,
        remediation="fix it",
    )


P, F, N = Status.PASS, Status.FAIL, Status.NOT_ASSESSED


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ([], 0.0),
        ([r("a", "critical", P)], 100.0),
        ([r("a", "critical", F)], 0.0),
        ([r("a", "critical", P), r("b", "low", F)], 100 * 10 / 11),
        ([r("a", "high", P), r("b", "high", N)], 100 * 6 / (6 + LAMBDA * 6)),
        ([r("a", "critical", F, 0.8)], 80.0),  # 2 of 10 subjects failing
        ([r("a", "high", P), r("b", "critical", N, applicable=False)], 100.0),  # nothing in scope: left out
        ([r("a", "medium", P), r("b", "info", F)], 100.0),  # info weighs nothing
    ],
)
def test_formula(results, expected):
    assert raw_score(results) == pytest.approx(expected)
    assert score(results).score == round(expected, 1)


def test_points_split_exactly_into_score_and_costs():
    results = [
        r("a", "critical", P),
        r("b", "high", F),
        r("c", "medium", N),
        r("d", "low", F, 0.5),
        r("e", "high", N, applicable=False),
    ]
    s = score(results)
    assert s.score + sum(c.points for c in s.costs) == pytest.approx(100.0, abs=0.05)
    denominator = 10 + 6 + LAMBDA * 3 + 1
    b = next(c for c in s.costs if c.check == "b")
    assert b.points == pytest.approx(100 * 6 / denominator, abs=0.01)
    assert {c.check for c in s.costs} == {"b", "c", "d"}


def test_recommendations_ranked_by_points_regained():
    results = [r("a", "low", F), r("b", "critical", F), r("c", "high", N), r("d", "medium", P)]
    s = score(results)
    points = [x.points for x in s.recommendations]
    assert points == sorted(points, reverse=True)
    assert s.recommendations[0].check == "b" and s.recommendations[0].action == "fix"
    assert next(x for x in s.recommendations if x.check == "c").action == "assess"
    for rec in s.recommendations:  # a recommendation's value is the exact gain of doing it
        fixed = [
            x.model_copy(update={"status": P, "pass_fraction": 1.0}) if x.id == rec.check else x
            for x in results
        ]
        assert rec.points == pytest.approx(raw_score(fixed) - raw_score(results), abs=0.01)


def test_coverage_is_share_of_applicable_weight_assessed():
    s = score([r("a", "critical", P), r("b", "critical", N), r("c", "high", N, applicable=False)])
    assert s.coverage == 50.0
    assert (s.passed, s.failed, s.not_assessed) == (1, 0, 2)


def test_weights_order_by_severity():
    ranked = sorted(SEVERITY_WEIGHT, key=lambda sev: sev.rank)
    assert [SEVERITY_WEIGHT[s] for s in ranked] == sorted(SEVERITY_WEIGHT.values())
    assert SEVERITY_WEIGHT[Severity.CRITICAL] > SEVERITY_WEIGHT[Severity.HIGH]
