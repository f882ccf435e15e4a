"""Queries over the scan's own inventory and findings."""

from __future__ import annotations

import json
from typing import Any

from aiposture.govern.checks.model import Outcome, Status
from aiposture.govern.evidence import PostureContext
from aiposture.model import Asset, Severity


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set | frozenset) else [value]


def _label(asset: Asset) -> str:
    where = f" ({asset.locations[0]})" if asset.locations else ""
    return f"{asset.kind} {asset.name}{where}"


def no_findings(
    ctx: PostureContext,
    rule_prefix: list[str] | str,
    min_severity: str = "info",
    requires_kinds: list[str] | None = None,
) -> Outcome:
    """Pass when no finding of the given rule families at or above `min_severity` exists.

    Partial credit is by file: subjects are the files holding AI assets plus those with
    a matching finding; failing are the files with a matching finding. With
    `requires_kinds`, the check is only meaningful when such assets exist.
    """
    prefixes = tuple(_as_list(rule_prefix))
    floor = Severity(min_severity)
    if requires_kinds and not any(a.kind in requires_kinds for a in ctx.result.assets):
        return Outcome(
            status=Status.NOT_ASSESSED,
            why=f"no {' or '.join(requires_kinds)} assets in scope",
            applicable=False,
        )
    if not ctx.result.assets and not ctx.result.findings:
        return Outcome(status=Status.NOT_ASSESSED, why="no AI assets in scope", applicable=False)
    hits = [f for f in ctx.result.findings if f.rule.startswith(prefixes) and f.severity.at_least(floor)]
    asset_files = {loc.path for a in ctx.result.assets for loc in a.locations[:1]}
    failing = sorted({f.location.path if f.location else (f.asset or f.rule) for f in hits})
    subjects = len(asset_files | set(failing)) or (1 if failing else 0)
    if not hits:
        return Outcome(
            status=Status.PASS,
            why=f"no {'/'.join(prefixes)}* findings at {floor.value} or above",
            subjects=max(subjects, 1),
        )
    rules = sorted({f.rule for f in hits})
    return Outcome(
        status=Status.FAIL,
        subjects=subjects,
        failing=failing,
        why=f"{len(hits)} finding(s) ({', '.join(rules[:5])}) in {len(failing)} place(s)",
    )


def asset_property(
    ctx: PostureContext,
    kinds: list[str],
    property: str,
    expected: list[Any] | None = None,
    present: bool | None = None,
    missing: str = "fail",
) -> Outcome:
    """Every asset of the given kinds has `property` set to one of `expected` (or, with
    `present: true`, set at all). `missing` says what an absent property counts as:
    `fail`, `pass` or `skip` (not counted)."""
    subjects = [a for a in ctx.result.assets if a.kind in kinds]
    failing: list[str] = []
    counted = 0
    for asset in subjects:
        value = asset.properties.get(property)
        if value is None or value == [] or value == {}:
            if missing == "skip" and present is None:
                continue
            ok = missing == "pass" and present is None
        else:
            ok = present is True if expected is None else value in (expected or [])
        counted += 1
        if not ok:
            failing.append(_label(asset))
    if counted == 0:
        return Outcome(
            status=Status.NOT_ASSESSED, why=f"no {' or '.join(kinds)} assets in scope", applicable=False
        )
    if failing:
        want = "set" if expected is None else " or ".join(json.dumps(e) for e in expected)
        return Outcome(
            status=Status.FAIL,
            subjects=counted,
            failing=sorted(failing),
            why=f"{len(failing)} of {counted} asset(s) where {property} is not {want}",
        )
    return Outcome(
        status=Status.PASS, subjects=counted, why=f"all {counted} asset(s) have the expected {property}"
    )
