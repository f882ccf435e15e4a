"""Evaluate posture checks against a context.

A check's queries are combined as an AND: the check fails if any query fails (and
its credit is the smallest pass fraction among them), is not assessed only when no
query could be assessed, and passes otherwise. A query that raises is reported as
not assessed with the error, so one broken evidence source cannot sink a report.
"""

from __future__ import annotations

from aiposture.govern.checks.model import Check, CheckResult, Outcome, Status
from aiposture.govern.checks.queries import run_query
from aiposture.govern.evidence import PostureContext


def _combine(outcomes: list[Outcome]) -> Outcome:
    assessed = [o for o in outcomes if o.status is not Status.NOT_ASSESSED]
    if not assessed:
        return Outcome(
            status=Status.NOT_ASSESSED,
            why="; ".join(o.why for o in outcomes),
            applicable=any(o.applicable for o in outcomes),
        )
    failed = [o for o in assessed if o.status is Status.FAIL]
    if not failed:
        return Outcome(
            status=Status.PASS,
            subjects=max(o.subjects for o in assessed),
            why="; ".join(o.why for o in assessed),
        )
    worst = min(failed, key=lambda o: o.pass_fraction)
    failing = sorted({name for o in failed for name in o.failing})
    return Outcome(
        status=Status.FAIL,
        subjects=max(worst.subjects, len(failing)),
        failing=failing,
        why="; ".join(o.why for o in failed),
    )


def evaluate_check(check: Check, ctx: PostureContext) -> CheckResult:
    outcomes = []
    for query in check.evidence:
        try:
            outcomes.append(run_query(query.kind, ctx, query.params))
        except (TypeError, ValueError, KeyError) as exc:
            outcomes.append(
                Outcome(status=Status.NOT_ASSESSED, why=f"evidence query {query.kind} failed: {exc}")
            )
    outcome = _combine(outcomes)
    return CheckResult(
        id=check.id,
        title=check.title,
        severity=check.severity,
        status=outcome.status,
        why=outcome.why,
        subjects=outcome.subjects,
        failing=outcome.failing,
        pass_fraction=outcome.pass_fraction,
        applicable=outcome.applicable,
        remediation=check.remediation,
        frameworks=check.frameworks,
    )


def evaluate(
    checks: tuple[Check, ...] | list[Check], ctx: PostureContext, scope: str | None = None
) -> list[CheckResult]:
    """Evaluate every check; with `scope="app"`, only the checks that apply per app."""
    return [evaluate_check(c, ctx) for c in checks if scope is None or c.scope == scope]
