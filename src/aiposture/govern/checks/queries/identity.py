"""Queries over agent identities: the registry, the gateway's tokens, access policies,
approvals and MCP servers (docs/identity.md, docs/access.md, docs/gateway.md).

The identity evidence is gathered by the command layer (`commands/identity_posture.py`),
which may read the identity part; here it is plain data. Agents found in code are
linked to their identity by `properties.identity` (set by the agent linker); an agent
without it is unregistered."""

from __future__ import annotations

from typing import Any

from aiposture.govern.checks.model import Outcome, Status
from aiposture.govern.checks.queries.gateway import lookup
from aiposture.govern.evidence import IdentityEvidence, IdentityRecord, PostureContext

NO_GATEWAY_CONFIG = "no gateway config found (pass --gateway-config or keep gateway.yaml in the assessed tree)"
NO_REGISTRY = "no identity registry read (assess with a store: `aiposture principals` keeps the identities there)"
LAPSED = ("expired", "attestation-overdue")
WILDCARD_CHARS = frozenset("*?/")


def _identity(ctx: PostureContext) -> IdentityEvidence:
    return ctx.evidence.identity or IdentityEvidence()


def _outcome(subjects: int, failing: list[str], fail_why: str, pass_why: str, empty: str = "") -> Outcome:
    """Fail with partial credit, or pass; with nothing to judge (`empty` says what), not applicable."""
    if not subjects and not failing:
        return Outcome(status=Status.NOT_ASSESSED, why=empty or "nothing in scope", applicable=False)
    if failing:
        return Outcome(status=Status.FAIL, subjects=max(subjects, len(failing)), failing=sorted(failing),
                       why=fail_why)
    return Outcome(status=Status.PASS, subjects=subjects, why=pass_why)


def _agents(ctx: PostureContext) -> list:
    return [a for a in ctx.result.assets if a.kind == "agent"]


def _agent_identities(ctx: PostureContext, principals: dict[str, IdentityRecord]) -> list[IdentityRecord]:
    """The agent identities in scope: all of them for the estate; for one app, those its
    discovered agents run as."""
    if ctx.app is None:
        return [p for p in principals.values() if p.kind == "agent" and p.status != "disabled"]
    linked = {str(a.properties.get("identity")) for a in _agents(ctx) if a.properties.get("identity")}
    return [principals[n] for n in sorted(linked) if n in principals and principals[n].status != "disabled"]


def agents_registered(ctx: PostureContext) -> Outcome:
    """Every agent found in code runs as a registered identity with an owner and at least
    one sponsor."""
    principals = _identity(ctx).principals
    agents = _agents(ctx)
    if not agents:
        return Outcome(status=Status.NOT_ASSESSED, why="no agents in scope", applicable=False)
    if principals is None:
        return Outcome(status=Status.NOT_ASSESSED, why=NO_REGISTRY)
    failing = []
    for agent in agents:
        name = agent.properties.get("identity")
        record = principals.get(str(name)) if name else None
        if record is None:
            failing.append(f"agent {agent.name}: no registered identity")
        elif not record.owner:
            failing.append(f"agent {agent.name} ({record.name}): no owner")
        elif not [s for s in record.sponsors if s != record.owner]:
            # say which: an identity sponsored only by its owner has both, yet fails
            failing.append(f"agent {agent.name} ({record.name}): no sponsor other than its owner {record.owner}")
    return _outcome(
        len(agents), failing,
        f"{len(failing)} of {len(agents)} agent(s) without a registered, sponsored identity",
        f"all {len(agents)} agent(s) run as registered identities with an owner and a sponsor",
    )


def identities_current(ctx: PostureContext) -> Outcome:
    """No enabled agent identity is expired or overdue for attestation."""
    principals = _identity(ctx).principals
    if principals is None:
        return Outcome(status=Status.NOT_ASSESSED, why=NO_REGISTRY)
    subjects = _agent_identities(ctx, principals)
    failing = [f"{p.name}: {p.status}" for p in subjects if p.status in LAPSED]
    return _outcome(
        len(subjects), failing,
        f"{len(failing)} of {len(subjects)} agent identit(ies) expired or overdue for attestation",
        f"all {len(subjects)} agent identit(ies) current (not expired, attested in time)",
        empty="no agent identities in scope",
    )


def is_wildcard(glob: str) -> bool:
    """A grant that matches every tool: only `*`, `?` and `/` (`*`, `*/*`)."""
    return bool(glob) and set(glob) <= WILDCARD_CHARS


def no_wildcard_tools(ctx: PostureContext) -> Outcome:
    """No agent identity is granted every tool, and no access policy permits every tool
    without a condition."""
    identity = _identity(ctx)
    if identity.principals is None:
        return Outcome(status=Status.NOT_ASSESSED, why=NO_REGISTRY)
    subjects = _agent_identities(ctx, identity.principals)
    failing = [f"{p.name}: tools {', '.join(g for g in p.tools if is_wildcard(g))}"
               for p in subjects if any(is_wildcard(g) for g in p.tools)]
    policies = identity.access.open_tool_permits if identity.access and not identity.access.error else ()
    failing += [f"policy {p}: permits every tool without a condition" for p in policies]
    return _outcome(
        len(subjects) + len(policies), failing,
        f"{len(failing)} wildcard tool grant(s)",
        f"none of {len(subjects)} agent identit(ies) is granted every tool",
        empty="no agent identities in scope",
    )


def _gateway(ctx: PostureContext) -> dict[str, Any] | None:
    """The gateway config as read (None when only a policy file, or nothing, was found:
    its defaults are no evidence of how a gateway runs)."""
    gw = ctx.evidence.gateway
    if gw is None or gw.config_path is None:
        return None
    raw = gw.raw.get("gateway")
    return raw if isinstance(raw, dict) else {}


def short_lived_tokens(ctx: PostureContext, max_ttl_s: int = 3600) -> Outcome:
    """The gateway issues short-lived tokens (`tokens:` on, `ttl_s` at most `max_ttl_s`),
    and no agent called a model route with its static API key in the audit window."""
    config = _gateway(ctx)
    if config is None:
        return Outcome(status=Status.NOT_ASSESSED, why=NO_GATEWAY_CONFIG)
    tokens = config.get("tokens") if isinstance(config.get("tokens"), dict) else {}
    ttl = tokens.get("ttl_s", 900)
    failing = []
    if tokens.get("enabled", True) is False:
        failing.append("gateway tokens: enabled is false (agents can only send their static keys)")
    elif not isinstance(ttl, int | float) or isinstance(ttl, bool):
        failing.append(f"gateway tokens: ttl_s {ttl!r} is not a number of seconds")
    elif ttl > max_ttl_s:
        failing.append(f"gateway tokens: ttl_s {ttl} is over {max_ttl_s}")
    identity = _identity(ctx)
    keys = identity.key_calls or {}
    failing += [f"agent {name}: {n} call(s) with its static API key" for name, n in sorted(keys.items()) if n]
    seen = set(keys) | set(identity.token_calls or {})
    subjects = 1 + len(seen)
    audit = (f"; audit of {identity.audit_days} days: {len(seen)} agent(s) called"
             if identity.key_calls is not None else "; no audit trail read")
    return _outcome(
        subjects, failing,
        f"{len(failing)} of {subjects} without short-lived tokens" + audit,
        f"tokens live {ttl} s" + audit + (", all with tokens" if seen else ""),
    )


def access_policies_valid(ctx: PostureContext) -> Outcome:
    """The gateway names an access policy folder (`access:`) and it loads and validates."""
    config = _gateway(ctx)
    if config is None:
        return Outcome(status=Status.NOT_ASSESSED, why=NO_GATEWAY_CONFIG)
    access = _identity(ctx).access
    source = ctx.evidence.gateway.config_path
    if not config.get("access") or access is None:
        return Outcome(status=Status.FAIL, subjects=1, failing=[source],
                       why=f"no access policy folder (`access:`) in {source}: tool calls are not checked")
    if access.error:
        return Outcome(status=Status.FAIL, subjects=1, failing=[access.folder], why=access.error)
    return Outcome(status=Status.PASS, subjects=1,
                   why=f"{access.policies} access policies in {access.folder} validate")


def tool_approvals_enforced(ctx: PostureContext, max_timeout_s: float = 86400) -> Outcome:
    """High-risk tool calls wait for a person at the gateway: an access policy folder is
    in force, no `@approval("waived")` permit lacks a scope, and approvals time out
    (no answer = deny) within `max_timeout_s`."""
    config = _gateway(ctx)
    if config is None:
        return Outcome(status=Status.NOT_ASSESSED, why=NO_GATEWAY_CONFIG)
    access = _identity(ctx).access
    if not config.get("access") or access is None:
        return Outcome(status=Status.FAIL, subjects=1, failing=["gateway"],
                       why="no access policies on the gateway: no tool call is held for approval")
    if access.error:
        return Outcome(status=Status.NOT_ASSESSED, why=f"{access.error} (so no approval gate to judge)")
    timeout = lookup(config, "approvals.timeout_s")
    timeout = 900 if timeout is None else timeout
    failing = [f"policy {w}: waives approval without naming who or, having no condition, what"
               for w in access.unscoped_waivers]
    numeric = isinstance(timeout, int | float) and not isinstance(timeout, bool)
    if not numeric or not 0 < timeout <= max_timeout_s:
        failing.append(f"approvals.timeout_s {timeout!r}: must be 1..{max_timeout_s:.0f} seconds (no answer = deny)")
    subjects = 1 + access.waivers
    # the pass text formats the timeout as a number: only build it when the timeout is one
    return _outcome(
        subjects, failing,
        f"{len(failing)} weakness(es) in the approval gate",
        "" if failing else
        f"high-risk tools wait for approval (timeout {timeout:.0f} s; {access.waivers} scoped waiver(s))",
    )


def approvals_answered(ctx: PostureContext, max_lapsed_share: float = 0.1) -> Outcome:
    """Approval requests get an answer: per principal, at most `max_lapsed_share` of the
    requests in the window lapsed pending past their expiry."""
    identity = _identity(ctx)
    if identity.approvals is None:
        return Outcome(status=Status.NOT_ASSESSED, why="no approval queue read (assess with a store)")
    asked = {name: s for name, s in identity.approvals.items() if s.requested}
    if not asked:
        return Outcome(status=Status.NOT_ASSESSED, why=f"no approvals requested in {identity.approvals_days} days",
                       applicable=False)
    failing = [f"{name}: {s.lapsed} of {s.requested} approval(s) lapsed unanswered"
               for name, s in sorted(asked.items()) if s.lapsed > max_lapsed_share * s.requested]
    total = sum(s.requested for s in asked.values())
    lapsed = sum(s.lapsed for s in asked.values())
    return _outcome(
        len(asked), failing,
        f"{lapsed} of {total} approval request(s) in {identity.approvals_days} days lapsed pending",
        f"{total - lapsed} of {total} approval request(s) in {identity.approvals_days} days answered in time",
    )


def _mcp_entries(config: dict[str, Any]) -> list[dict[str, Any]]:
    entries = config.get("mcp")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _server_via_gateway(url: str, entries: list[dict[str, Any]], bases: frozenset[str]) -> str | None:
    """None when a discovered MCP URL goes through the gateway, else why not."""
    names = {str(e.get("name")) for e in entries}
    path = url.rstrip("/")
    if any(path.endswith(f"/mcp/{n}") for n in names) and (not bases or any(url.startswith(b) for b in bases)):
        return None
    if any(str(e.get("url", "")).rstrip("/") == path for e in entries):
        return "calls the server the gateway fronts directly, bypassing its token check"
    return "is reached directly, not through the gateway"


def mcp_audience_bound(ctx: PostureContext) -> Outcome:
    """Remote MCP servers sit behind the gateway (`mcp:`), each accepting only tokens for
    its own audience (not the gateway's, not another server's)."""
    config = _gateway(ctx)
    if config is None:
        return Outcome(status=Status.NOT_ASSESSED, why=NO_GATEWAY_CONFIG)
    entries = _mcp_entries(config)
    gateway_aud = lookup(config, "tokens.audience") or "aiposture-gateway"
    failing, audiences = [], {}
    bad: set[str] = set()  # the servers failing, counted once however many reasons they fail for
    for i, entry in enumerate(entries):
        aud = str(entry.get("audience") or "")
        audiences.setdefault(aud, []).append((i, str(entry.get("name"))))
        if not aud or aud == gateway_aud:
            failing.append(f"gateway mcp {entry.get('name')}: audience {aud or 'unset'} is not its own")
            bad.add(f"entry {i}")
    for aud, named in audiences.items():
        if aud and len(named) > 1:
            failing.append(f"gateway mcp {', '.join(n for _, n in named)}: share audience {aud}")
            bad.update(f"entry {i}" for i, _ in named)
    remote = [a for a in ctx.result.assets if a.kind == "mcp-server" and isinstance(a.properties.get("url"), str)
              and a.properties.get("url", "").startswith(("http://", "https://"))]
    for server in remote:
        why = _server_via_gateway(server.properties["url"], entries, ctx.evidence.gateway.base_urls)
        if why:
            failing.append(f"mcp-server {server.name} ({server.properties['url']}) {why}")
            bad.add(f"asset {server.id}")
    subjects = len(entries) + len(remote)
    return _outcome(
        subjects, failing,
        f"{len(bad)} of {subjects} MCP server(s) not behind audience-bound tokens",
        f"all {subjects} remote MCP server(s) behind the gateway with their own token audience",
        empty="no remote MCP servers in scope",
    )
