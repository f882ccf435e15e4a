"""Queries over recorded operational state: audit verification and red-team runs."""

from __future__ import annotations

from datetime import timedelta

from aiposture.govern.checks.model import Outcome, Status
from aiposture.govern.evidence import PostureContext


def audit_verified_within(ctx: PostureContext, days: int = 7) -> Outcome:
    audit = ctx.evidence.audit
    if audit is None:
        return Outcome(
            status=Status.NOT_ASSESSED, why="no audit verification recorded (run `aiposture audit verify`)"
        )
    age = ctx.evidence.now - audit.verified_at
    when = audit.verified_at.strftime("%Y-%m-%d %H:%M UTC")
    if not audit.ok:
        return Outcome(
            status=Status.FAIL,
            subjects=1,
            failing=["audit chain"],
            why=f"the last verification ({when}) failed: {audit.detail or 'chain broken'}",
        )
    if age > timedelta(days=days):
        return Outcome(
            status=Status.FAIL,
            subjects=1,
            failing=["audit chain"],
            why=f"last verified {age.days} days ago ({when}); must be within {days}",
        )
    return Outcome(status=Status.PASS, subjects=1, why=f"verified {when}, {audit.events} events intact")


def redteam_passed_within(ctx: PostureContext, days: int = 30, max_success_rate: float = 0.05) -> Outcome:
    """Each app in scope has a red-team run that passed its gate within `days`. A run
    names its app when it knows it; a run with no app counts for every app only when
    the estate is a single app. A run that does not say whether it passed passes when
    its attack success rate is at most `max_success_rate`."""
    if not ctx.evidence.redteam_recorded:
        return Outcome(
            status=Status.NOT_ASSESSED, why="no red-team runs recorded (run `aiposture redteam run`)"
        )
    if not ctx.apps:
        return Outcome(status=Status.NOT_ASSESSED, why="no AI apps in scope", applicable=False)
    since = ctx.evidence.now - timedelta(days=days)
    recent = [r for r in ctx.evidence.redteam if r.finished >= since]
    failing = []
    for app in ctx.apps:
        short = app.rsplit("/", 1)[-1].lower()
        runs = [
            r
            for r in recent
            if (r.app or "").lower() in (app.lower(), short)
            or (r.app is None and len(ctx.apps) == 1 and ctx.app is not None)
        ]
        if not any(r.passed_at(max_success_rate) for r in runs):
            failing.append(app)
    if failing:
        return Outcome(
            status=Status.FAIL,
            subjects=len(ctx.apps),
            failing=sorted(failing),
            why=f"{len(failing)} of {len(ctx.apps)} app(s) without a passing red-team run in {days} days",
        )
    return Outcome(
        status=Status.PASS,
        subjects=len(ctx.apps),
        why=f"every app passed a red-team run in the last {days} days",
    )
