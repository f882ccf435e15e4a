"""Least-privilege access: which principal may invoke which model and call which tool,
with which arguments, in which context — decided by Cedar policies (cedarpy).

`AccessPolicy.load(folder)` reads `*.cedar` files (validated against the schema, see
`cedar_policies.py`), the folder's `catalog.yaml` (models and tools, see
`cedar_catalog.py`) and optionally its own schema. `authorize` builds the entities and
context (`cedar_entities.py`), asks Cedar with pre-parsed handles, and explains the
answer: which policies permitted or forbade and the context values they read. Cedar
denies by default ("no policy permits") and any forbid beats every permit.

Approval rule for a permitted `call_tool`:
1. a permitting policy annotated `@approval("required")` -> needs approval, always;
2. else, if the tool is high risk (a risk class in `tool_risks.yaml` or the catalog):
   needs approval, unless a permitting policy is annotated `@approval("waived")` or the
   context scopes hold `preapproved:<glob>` covering the tool (granted by a sponsor
   through a just-in-time elevation);
3. else no approval.
Fail closed: a request that does not fit the schema, or a forbid policy that errors
while being evaluated, denies.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cedarpy

from aiposture.errors import InputError
from aiposture.identity.cedar_catalog import CATALOG_FILE, Catalog, ToolInfo
from aiposture.identity.cedar_entities import (
    build_context,
    check_resource,
    context_value,
    granted_by_registry,
    parse_time,
    principal_entity,
    principal_key,
    principal_status,
    principal_uid,
    resource_entity,
)
from aiposture.identity.cedar_policies import LoadedPolicies, PolicyInfo, load_policies, policy_files
from aiposture.identity.cedar_schema import SCHEMA_FILE, CedarSchema, load_schema

log = logging.getLogger(__name__)
ENTITY_CACHE_SIZE = 4096


@dataclass
class AccessRequest:
    principal: Any  # aiposture.identity.principals.Principal (read by attribute)
    action: str  # "invoke_model" | "call_tool"
    resource: str  # model id or tool name (MCP: "<server>/<tool>")
    arguments: dict = field(default_factory=dict)
    context: dict = field(default_factory=dict)


@dataclass
class AccessDecision:
    allowed: bool
    needs_approval: bool
    reasons: list[str]
    policies: list[str]
    risk: str | None
    # context values the deciding policies read, as the request gave them (mask before logging)
    context_used: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"allowed": self.allowed, "needs_approval": self.needs_approval, "reasons": self.reasons,
                "policies": self.policies, "risk": self.risk, "context_used": self.context_used}


@dataclass
class _Prepared:
    request: dict
    entities: cedarpy.Entities
    context: dict
    resource: Any


def _denied(reason: str) -> AccessDecision:
    return AccessDecision(False, False, [reason], [], None)


class AccessPolicy:
    def __init__(self, loaded: LoadedPolicies, schema: CedarSchema, catalog: Catalog, folder: Path, *,
                 validate_requests: bool = False, entity_cache: int = ENTITY_CACHE_SIZE) -> None:
        """`validate_requests` has Cedar check every request against the schema too.
        Off by default: the context and entities are built typed by construction, the
        policies were validated at load, and an error in a forbid denies anyway, so the
        check costs ~35 us a decision without deciding differently (the tests run
        with it on). `entity_cache`: how many (principal, action, resource) entity
        sets are kept parsed (0: build them for every request)."""
        self.loaded, self.schema, self.catalog, self.folder = loaded, schema, catalog, folder
        self._request_schema = schema.handle if validate_requests else None
        self._order = {pid: n for n, pid in enumerate(loaded.policies)}  # explanations in file order
        # Cedar parses the whole context of every request (most of its time), so unless
        # requests are validated it gets only what some policy reads
        self._reads = (None, None) if validate_requests else loaded.context_reads()
        self._entities: dict[tuple, tuple[cedarpy.Entities, Any]] = {}
        self._entity_cache = entity_cache
        self._empty = cedarpy.Entities.from_json_str("[]")

    @classmethod
    def load(cls, path: Path, *, validate_requests: bool = False,
             entity_cache: int = ENTITY_CACHE_SIZE) -> AccessPolicy:
        folder = Path(path)
        schema = load_schema(folder if folder.is_dir() else None)
        loaded = load_policies(folder, schema)
        return cls(loaded, schema, Catalog.load(folder), folder, validate_requests=validate_requests,
                   entity_cache=entity_cache)

    @property
    def policies(self) -> dict[str, PolicyInfo]:
        return self.loaded.policies

    def prepare(self, req: AccessRequest) -> _Prepared:
        """Entities and context for a request; raises InputError when it does not fit."""
        check_resource(req.action, req.resource)
        uid = principal_uid(req.principal)
        now = parse_time((req.context or {}).get("time") if isinstance(req.context, dict) else None)
        status = principal_status(req.principal, now)
        key = (principal_key(req.principal, status), req.action, req.resource)
        cached = self._entities.get(key)
        if cached is None:
            resource, info = resource_entity(req.action, req.resource, self.catalog)
            delta = [principal_entity(req.principal, status), resource]
            try:
                handle = self._empty.with_added_json_str(json.dumps(delta), self.schema.handle)
            except ValueError as exc:
                raise InputError(f"the entities do not fit the schema: {str(exc).splitlines()[0]}") from None
            granted = granted_by_registry(req.principal, req.action, req.resource)
            if len(self._entities) >= self._entity_cache:
                self._entities.clear()
            cached = (handle, (info, granted))
            if self._entity_cache:
                self._entities[key] = cached
        handle, (info, granted) = cached
        context = build_context(req, req.action, now, self.catalog, self.schema.arguments, granted)
        request = {"principal": uid, "action": {"type": "Action", "id": req.action},
                   "resource": {"type": "Model" if req.action == "invoke_model" else "Tool", "id": req.resource},
                   "context": self._pruned(context)}
        return _Prepared(request, handle, context, info)

    def _pruned(self, context: dict) -> dict:
        top, arguments = self._reads
        if top is None:
            return context
        out = {k: context[k] for k in top if k in context}
        if arguments is not None and "arguments" in out:
            out["arguments"] = {k: v for k, v in out["arguments"].items() if k in arguments}
        return out

    def authorize(self, req: AccessRequest) -> AccessDecision:
        try:
            prepared = self.prepare(req)
        except InputError as exc:
            return _denied(f"bad request: {exc}")
        result = cedarpy.is_authorized(prepared.request, self.loaded.policy_set, prepared.entities,
                                       self._request_schema)
        return self._decide(req, prepared, result)

    def explain(self, req: AccessRequest) -> tuple[AccessDecision, list[dict]]:
        """The decision, and the forbid policies the request was checked against that did
        not decide it, each with the context values it read (for `aiposture policy test`;
        one more Cedar call, so not on the gateway's path). Raises InputError on bad input."""
        prepared = self.prepare(req)
        decision = self.authorize(req)
        scoped = cedarpy.is_authorized(prepared.request, self.loaded.forbid_scopes, prepared.entities)
        checked = []
        for pid in sorted(scoped.diagnostics.reasons, key=lambda i: self._order.get(i, len(self._order))):
            if pid not in decision.policies:
                checked.append({"id": pid, "reason": self.policies[pid].reason,
                                "context": self._context_used([pid], prepared.context)})
        return decision, checked

    def _decide(self, req: AccessRequest, prepared: _Prepared, result: cedarpy.AuthzResult) -> AccessDecision:
        errors = result.diagnostics.errors
        order = self._order
        ids = sorted(result.diagnostics.reasons, key=lambda i: order.get(i, len(order)))
        tool = prepared.resource if isinstance(prepared.resource, ToolInfo) else None
        risk = ", ".join(tool.risk_titles) if tool and tool.risk else None
        broken = [p for p in self.policies.values()
                  if p.effect == "forbid" and any(f"`{p.id}`" in e for e in errors)] if errors else []
        if any("failed to build request" in e for e in errors):
            return _denied(f"bad request: {errors[0]}")
        used = self._context_used(ids + [p.id for p in broken], prepared.context)
        if broken:
            names = ", ".join(p.id for p in broken)
            return AccessDecision(False, False, [f"forbid policy {names} could not be evaluated, so the request "
                                                 f"is denied: {errors[0]}"], [p.id for p in broken], risk, used)
        if not result.allowed:
            if not ids:
                who = f"{prepared.request['principal']['type']} {req.principal.name!r}"
                what = f"{prepared.request['resource']['type']} {req.resource!r}"
                return AccessDecision(False, False, [f"no policy permits {req.action} on {what} for {who}"],
                                      [], risk, used)
            reasons = [self._explain("forbidden", i) for i in ids]
            return AccessDecision(False, False, reasons, ids, risk, used)
        reasons = [self._explain("permitted", i) for i in ids]
        needs, why = self._approval(ids, tool, prepared.context)
        if why:
            reasons.append(why)
        return AccessDecision(True, needs, reasons, ids, risk, used)

    def _explain(self, verb: str, policy_id: str) -> str:
        info = self.policies.get(policy_id)
        reason = info.reason if info and info.reason else f"policy in {info.file if info else '?'}"
        return f"{verb} by {policy_id}: {reason}"

    def _approval(self, ids: list[str], tool: ToolInfo | None, context: dict) -> tuple[bool, str]:
        if tool is None:
            return False, ""
        marks = {i: self.policies[i].approval for i in ids if i in self.policies}
        required = [i for i, m in marks.items() if m == "required"]
        if required:
            return True, f"needs approval: {required[0]} requires a human approval for this call"
        if not tool.risk:
            return False, ""
        titles = ", ".join(tool.risk_titles)
        waived = [i for i, m in marks.items() if m == "waived"]
        if waived:
            return False, f"no approval needed: {waived[0]} waives it although the tool {titles}"
        if context.get("preapproved"):
            return False, f"no approval needed: a sponsor-approved elevation pre-approves {tool.name!r} ({titles})"
        return True, f"needs approval: the tool is high risk ({titles})"

    def _context_used(self, ids: list[str], context: dict) -> dict:
        names = sorted({a for i in ids if i in self.policies for a in self.policies[i].context_attrs})
        out = {}
        for name in names:
            head, _, attr = name.partition(".")
            if attr:
                out[name] = context_value(context.get(head, {}).get(attr))
            elif head not in ("arguments",):
                out[name] = context_value(context.get(head))
        return out


def _stamp(folder: Path) -> tuple:
    """What a reload watches: the policy files, the catalog and the schema (name, mtime, size)."""
    try:
        paths = policy_files(folder) + [p for p in (folder / CATALOG_FILE, folder / SCHEMA_FILE) if p.is_file()]
        return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    except (OSError, InputError) as exc:
        return (("error", str(exc)),)


def _broken_file(folder: Path, message: str, good: tuple, stamp: tuple) -> tuple[str | None, str]:
    """Which file a refused load names and the reason without it. Load errors begin with
    the path (`<file>: cannot parse Cedar: ...`); one that does not (a catalog entry's
    glob) is put on the files that changed since the last good load."""
    watched = [folder / name for name, *_ in stamp if name != "error"] + [folder]
    for path in watched:
        if message.startswith(f"{path}: "):
            return str(path), message[len(str(path)) + 2:]
    changed = sorted({entry[0] for entry in set(stamp) ^ set(good)} - {"error"})
    return (", ".join(str(folder / name) for name in changed) or None), message


class AccessPolicyHolder:
    """Hot reload: at most every `check_every_s` the folder's files are stat'ed; when they
    changed, the set is reloaded; a set that fails to load is refused (`.error` says
    why) and the last good set stays in force. `health()` says so to `/healthz`: a
    refused edit keeps the gateway serving, so only a check tells the operator."""

    def __init__(self, path: Path | None, check_every_s: float = 1.0) -> None:
        self.path = Path(path) if path is not None else None
        self.check_every_s = check_every_s
        self.error: str | None = None
        self.loaded_at: datetime | None = None  # when the set in force was loaded
        self.failed_since: datetime | None = None  # the first refused load after it
        self._policy: AccessPolicy | None = None
        self._stamp: tuple | None = None
        self._good_stamp: tuple = ()
        self._checked = 0.0
        self._lock = threading.Lock()
        if self.path is not None:
            self.reload()

    def reload(self) -> AccessPolicy | None:
        if self.path is None:
            return None
        with self._lock:
            stamp = _stamp(self.path)
            self._checked = time.monotonic()
            if stamp == self._stamp and (self._policy is not None or self.error):
                return self._policy
            self._stamp = stamp
            try:
                self._policy = AccessPolicy.load(self.path)
                self.error, self.failed_since = None, None
                self.loaded_at, self._good_stamp = datetime.now(UTC), stamp
            except InputError as exc:
                self.error = str(exc)
                self.failed_since = self.failed_since or datetime.now(UTC)
                if self._policy is not None:  # at the first load there is no good set to keep: .error says why
                    log.warning("access policies in %s refused, keeping the last good set: %s", self.path, exc)
            return self._policy

    @property
    def policy(self) -> AccessPolicy | None:
        if self.path is not None and time.monotonic() - self._checked >= self.check_every_s:
            return self.reload()
        return self._policy

    def health(self) -> dict:
        """The `/healthz` check: "ok", or "degraded" with the file the refused edit broke,
        the reason in one line, since when, and the set still in force. Reading it runs a
        due reload first, so a broken edit shows even while no request comes."""
        policy = self.policy
        in_force = None if policy is None else {
            "loaded_at": _iso(self.loaded_at), "policies": len(policy.policies),
            "files": sorted({p.file for p in policy.policies.values()})}
        check: dict[str, Any] = {"status": "ok", "folder": str(self.path), "in_force": in_force}
        if self.error is None:
            return check
        file, reason = _broken_file(self.path, self.error, self._good_stamp, self._stamp or ())
        return {**check, "status": "degraded", "file": file, "error": reason.splitlines()[0][:500],
                "since": _iso(self.failed_since)}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
