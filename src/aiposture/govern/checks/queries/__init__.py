"""The registry of evidence-query kinds a posture check may name.

Built-ins are listed here by dotted path (an explicit list, STYLE.md rule 3); third
parties add kinds through the entry-point group `aiposture.posture_queries`, each
naming a function `(ctx: PostureContext, **params) -> Outcome`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from importlib.metadata import entry_points

from aiposture.govern.checks.model import Outcome
from aiposture.govern.evidence import PostureContext

QueryFn = Callable[..., Outcome]

BUILTIN_QUERIES: dict[str, str] = {
    "no_findings": "aiposture.govern.checks.queries.inventory:no_findings",
    "asset_property": "aiposture.govern.checks.queries.inventory:asset_property",
    "gateway_coverage": "aiposture.govern.checks.queries.gateway:gateway_coverage",
    "gateway_policy": "aiposture.govern.checks.queries.gateway:gateway_policy",
    "approved_models": "aiposture.govern.checks.queries.gateway:approved_models",
    "retention_set": "aiposture.govern.checks.queries.gateway:retention_set",
    "audit_verified_within": "aiposture.govern.checks.queries.state:audit_verified_within",
    "redteam_passed_within": "aiposture.govern.checks.queries.state:redteam_passed_within",
    "approval_configured": "aiposture.govern.checks.queries.agents:approval_configured",
    "agents_registered": "aiposture.govern.checks.queries.identity:agents_registered",
    "identities_current": "aiposture.govern.checks.queries.identity:identities_current",
    "no_wildcard_tools": "aiposture.govern.checks.queries.identity:no_wildcard_tools",
    "short_lived_tokens": "aiposture.govern.checks.queries.identity:short_lived_tokens",
    "access_policies_valid": "aiposture.govern.checks.queries.identity:access_policies_valid",
    "tool_approvals_enforced": "aiposture.govern.checks.queries.identity:tool_approvals_enforced",
    "approvals_answered": "aiposture.govern.checks.queries.identity:approvals_answered",
    "mcp_audience_bound": "aiposture.govern.checks.queries.identity:mcp_audience_bound",
}


def _load(target: str) -> QueryFn:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


@cache
def query_registry() -> dict[str, QueryFn]:
    registry = {name: _load(target) for name, target in BUILTIN_QUERIES.items()}
    for ep in entry_points(group="aiposture.posture_queries"):
        registry.setdefault(ep.name, ep.load())
    return registry


def run_query(kind: str, ctx: PostureContext, params: dict) -> Outcome:
    try:
        fn = query_registry()[kind]
    except KeyError:
        raise ValueError(f"unknown evidence query kind {kind!r}") from None
    return fn(ctx, **params)
