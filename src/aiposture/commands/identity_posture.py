"""The identity evidence posture checks read (AIP-POSTURE-016…023), gathered for `assess`.

`govern` may not import `identity` (they are sibling layers), so this runs in the command
layer, like the agent linker: it reads the registered principals (status computed now),
loads the gateway's access policy folder (does it validate; which permits waive approval
without a scope or permit every tool unconditionally), counts approval requests that
lapsed unanswered, and counts the agents' model calls in the audit trail made with a
static API key versus a token. Each source that cannot be read is left None with a note,
and the checks that need it say "not assessed"."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cedarpy
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

from aiposture.errors import AIPostureError
from aiposture.govern.evidence import (
    AccessEvidence,
    ApprovalStats,
    Evidence,
    IdentityEvidence,
    IdentityRecord,
)
from aiposture.identity.access import AccessPolicy
from aiposture.identity.principals import Principals
from aiposture.store.database import Store
from aiposture.store.tables_access import ApprovalRow
from aiposture.store.tables_audit import AuditEventRow

APPROVALS_DAYS = 30
AUDIT_DAYS = 7
AUDIT_EVENTS_PER_AGENT = 500  # the most recent audit events read per agent


def _principals(store: Store, now: datetime) -> dict[str, IdentityRecord]:
    return {
        p.name: IdentityRecord(name=p.name, kind=p.kind, status=p.status_at(now), owner=p.owner,
                               sponsors=tuple(p.sponsors), tools=tuple(p.tools), status_reason=p.status_reason(now))
        for p in Principals(store).list()
    }


def _covers_call_tool(action: dict) -> bool:
    op = action.get("op")
    if op == "All":
        return True
    entities = [action.get("entity"), *(action.get("entities") or [])]
    return any(isinstance(e, dict) and e.get("id") == "call_tool" for e in entities)


def _unconstrained(scope: dict) -> bool:
    """`principal` / `resource` alone, or only a type test (`principal is Agent`)."""
    return scope.get("op") == "All" or (scope.get("op") == "is" and "in" not in scope)


def _weak_permits(files: list[Path]) -> tuple[int, list[str], list[str]]:
    """(waivers, unscoped waivers, open tool permits) of the policy files, as "id (file)".

    A waiver is unscoped when it does not name who (principal unconstrained) or, with no
    condition, not what (resource unconstrained). An open tool permit permits call_tool
    on every resource with no condition."""
    waivers, unscoped, open_permits = 0, [], []
    for path in files:
        doc = json.loads(cedarpy.policies_to_json_str(path.read_text(encoding="utf-8")))
        for est in (doc.get("staticPolicies") or {}).values():
            if est.get("effect") != "permit":
                continue
            notes = est.get("annotations") or {}
            label = f"{notes.get('id', '?')} ({path.name})"
            bare = not est.get("conditions")
            resource_open = _unconstrained(est.get("resource") or {})
            if notes.get("approval") == "waived":
                waivers += 1
                if _unconstrained(est.get("principal") or {}) or (bare and resource_open):
                    unscoped.append(label)
            if bare and resource_open and _covers_call_tool(est.get("action") or {}):
                open_permits.append(label)
    return waivers, unscoped, open_permits


def access_evidence(evidence: Evidence) -> AccessEvidence | None:
    """The gateway's `access:` folder loaded and inspected; None when it names none."""
    gw = evidence.gateway
    config = gw.raw.get("gateway") if gw is not None else None
    folder = config.get("access") if isinstance(config, dict) else None
    if not isinstance(folder, str) or not folder:
        return None
    path = Path(folder)
    if not path.is_absolute() and gw.config_path:
        path = Path(gw.config_path).parent / path
    try:
        policy = AccessPolicy.load(path)
        waivers, unscoped, open_permits = _weak_permits(policy.loaded.files)
    except (AIPostureError, OSError, ValueError) as exc:
        return AccessEvidence(folder=str(path), error=f"access policies in {path} do not load: {exc}")
    return AccessEvidence(folder=str(path), policies=len(policy.policies), waivers=waivers,
                          unscoped_waivers=tuple(unscoped), open_tool_permits=tuple(open_permits))


def _approvals(store: Store, now: datetime, days: int) -> dict[str, ApprovalStats]:
    lapsed = func.sum(case(((ApprovalRow.status == "pending") & (ApprovalRow.expires < now), 1), else_=0))
    query = (
        select(ApprovalRow.principal, func.count(), lapsed)
        .where(ApprovalRow.created >= now - timedelta(days=days))
        .group_by(ApprovalRow.principal)
    )
    with store.session() as s:
        return {name: ApprovalStats(requested=int(n), lapsed=int(gone or 0)) for name, n, gone in s.execute(query)}


def _calls(store: Store, agents: list[str], now: datetime, days: int) -> tuple[dict[str, int], dict[str, int]]:
    """Per agent, its recent calls (audit records of a gateway route, other than token
    events) made with a static API key (no `token` in the record) and with a token."""
    since = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    keys: dict[str, int] = {}
    tokens: dict[str, int] = {}
    with store.session() as s:
        for name in agents:
            query = (
                select(AuditEventRow.body)
                .where(AuditEventRow.principal == name, AuditEventRow.time >= since)
                .order_by(AuditEventRow.seq.desc())
                .limit(AUDIT_EVENTS_PER_AGENT)
            )
            for body in s.execute(query).scalars():
                event = json.loads(body)
                data: Any = event.get("data") or {}
                if event.get("direction") == "token" or not isinstance(data, dict) or not data.get("route"):
                    continue  # token events (issued, refused) are not calls
                bucket = tokens if data.get("token") else keys
                bucket[name] = bucket.get(name, 0) + 1
    return keys, tokens


def _from_store(store: Store, found: IdentityEvidence, now: datetime, notes: list[str]) -> None:
    try:
        found.principals = _principals(store, now)
        found.approvals = _approvals(store, now, APPROVALS_DAYS)
        agents = sorted(n for n, p in found.principals.items() if p.kind == "agent")
        found.key_calls, found.token_calls = _calls(store, agents, now, AUDIT_DAYS)
    except (SQLAlchemyError, ValueError) as exc:  # a broken source must not sink the report
        notes.append(f"identity evidence unavailable: {exc.__class__.__name__}")


def identity_evidence(store: Store | None) -> Callable[[Evidence, list[str]], None]:
    """A function adding the identity evidence to gathered Evidence (registry, approvals
    and audit only with a store; the access folder always)."""

    def add(evidence: Evidence, notes: list[str]) -> None:
        found = IdentityEvidence(approvals_days=APPROVALS_DAYS, audit_days=AUDIT_DAYS)
        found.access = access_evidence(evidence)
        if store is not None:
            _from_store(store, found, evidence.now, notes)
        evidence.identity = found

    return add
