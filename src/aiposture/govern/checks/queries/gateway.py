"""Queries over the gateway policy and the approved-model registry."""

from __future__ import annotations

from typing import Any

from aiposture.govern.apps import apps_of_asset
from aiposture.govern.checks.model import Outcome, Status
from aiposture.govern.evidence import PostureContext

NO_GATEWAY = "no gateway policy found (pass --gateway-config or keep gateway.yaml in the assessed tree)"
_URL_KEYS = ("base_url", "url", "endpoint", "api_base")


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def _app_covered(app: str, ctx: PostureContext) -> bool:
    """The policy names the app (or a principal of that name), or one of the app's
    assets says it goes through the gateway (`via_gateway`, or a URL under the
    gateway's public URL)."""
    gw = ctx.evidence.gateway
    assert gw is not None
    short = _norm(app.rsplit("/", 1)[-1])
    if any(short == _norm(g) for g in gw.apps):
        return True
    for asset in ctx.result.assets:
        if app not in apps_of_asset(asset):
            continue
        if asset.properties.get("via_gateway") is True:
            return True
        for key in _URL_KEYS:
            value = asset.properties.get(key)
            if isinstance(value, str) and any(value.startswith(u) for u in gw.base_urls if u):
                return True
    return False


def gateway_coverage(ctx: PostureContext) -> Outcome:
    """Every app in scope is known to the gateway policy (as an app or principal) or
    points its SDK at the gateway's URL."""
    if ctx.evidence.gateway is None:
        return Outcome(status=Status.NOT_ASSESSED, why=NO_GATEWAY)
    if not ctx.apps:
        return Outcome(status=Status.NOT_ASSESSED, why="no AI apps in scope", applicable=False)
    failing = sorted(app for app in ctx.apps if not _app_covered(app, ctx))
    if failing:
        return Outcome(
            status=Status.FAIL,
            subjects=len(ctx.apps),
            failing=failing,
            why=f"{len(failing)} of {len(ctx.apps)} app(s) not routed through the gateway",
        )
    return Outcome(
        status=Status.PASS, subjects=len(ctx.apps), why=f"all {len(ctx.apps)} app(s) use the gateway"
    )


def lookup(raw: dict[str, Any], dotted: str) -> Any:
    node: Any = raw
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def gateway_policy(ctx: PostureContext, path: list[str] | str, one_of: list[Any] | None = None) -> Outcome:
    """A gateway policy setting (the first of several spellings found) is set, and, with
    `one_of`, set to one of those values."""
    gw = ctx.evidence.gateway
    if gw is None:
        return Outcome(status=Status.NOT_ASSESSED, why=NO_GATEWAY)
    paths = [path] if isinstance(path, str) else path
    for dotted in paths:
        value = lookup(gw.raw, dotted)
        if value is None:
            continue
        if one_of is None or str(value).lower() in [str(v).lower() for v in one_of]:
            return Outcome(status=Status.PASS, subjects=1, why=f"{dotted} = {value} in {gw.source}")
        return Outcome(
            status=Status.FAIL,
            subjects=1,
            failing=[gw.source],
            why=f"{dotted} = {value} in {gw.source}; expected one of {', '.join(map(str, one_of))}",
        )
    return Outcome(
        status=Status.FAIL, subjects=1, failing=[gw.source], why=f"{paths[0]} is not set in {gw.source}"
    )


def retention_set(ctx: PostureContext, max_days: int = 3650) -> Outcome:
    gw = ctx.evidence.gateway
    if gw is None:
        return Outcome(status=Status.NOT_ASSESSED, why=NO_GATEWAY)
    days = gw.retention_days
    if days is None:
        return Outcome(
            status=Status.FAIL, subjects=1, failing=[gw.source], why=f"no retention set in {gw.source}"
        )
    if days <= 0 or days > max_days:
        return Outcome(
            status=Status.FAIL,
            subjects=1,
            failing=[gw.source],
            why=f"retention {days} days is outside 1..{max_days}",
        )
    return Outcome(status=Status.PASS, subjects=1, why=f"retention {days} days in {gw.source}")


def approved_models(ctx: PostureContext) -> Outcome:
    """Hosted models in use appear by name, model files by SHA-256 (or name), in the
    approved-model registry (its own file, or the gateway's approved model list)."""
    registry = ctx.evidence.approved_models
    names: set[str] = set()
    hashes: set[str] = set()
    source = ""
    if registry is not None:
        names |= {n.lower() for n in registry.names}
        hashes |= {h.lower() for h in registry.sha256}
        source = registry.source
    if ctx.evidence.gateway is not None and ctx.evidence.gateway.approved_models:
        names |= {n.lower() for n in ctx.evidence.gateway.approved_models}
        source = source or ctx.evidence.gateway.source
    subjects = [a for a in ctx.result.assets if a.kind in ("model", "model-file")]
    if not subjects:
        return Outcome(status=Status.NOT_ASSESSED, why="no models in scope", applicable=False)
    if not names and not hashes:
        return Outcome(status=Status.NOT_ASSESSED, why="no approved-model registry configured")
    failing = []
    for asset in subjects:
        sha = str(asset.properties.get("sha256", "")).lower()
        approved = (
            asset.properties.get("approved") is True or asset.name.lower() in names or (sha and sha in hashes)
        )
        if not approved:
            failing.append(f"{asset.kind} {asset.name}")
    failing = sorted(set(failing))
    if failing:
        return Outcome(
            status=Status.FAIL,
            subjects=len(subjects),
            failing=failing,
            why=f"{len(failing)} model(s) not in the approved list ({source})",
        )
    return Outcome(status=Status.PASS, subjects=len(subjects), why=f"all {len(subjects)} model(s) approved")
