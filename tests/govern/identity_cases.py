"""Cases for the identity evidence queries (AIP-POSTURE-016…023): (kind, params, context,
expected status, a phrase of the why). test_checks.py runs them with the other kinds."""

from __future__ import annotations

from govern_estates import asset

from aiposture.govern.evidence import (
    AccessEvidence,
    ApprovalStats,
    GatewayEvidence,
    IdentityEvidence,
    IdentityRecord,
)


def who(name: str = "bot-agent", status: str = "active", tools=("search_kb",), kind: str = "agent",
        **kw) -> IdentityRecord:
    kw.setdefault("owner", "alice")
    kw.setdefault("sponsors", ("bob",))
    return IdentityRecord(name=name, kind=kind, status=status, tools=tuple(tools), **kw)


def ids(*records: IdentityRecord, **kw) -> IdentityEvidence:
    return IdentityEvidence(principals={r.name: r for r in records}, **kw)


def gateway(base_urls=frozenset(), **config) -> GatewayEvidence:
    return GatewayEvidence(source="gateway.yaml", raw={"gateway": config}, base_urls=frozenset(base_urls),
                           config_path="gw/gateway.yaml")


def agent(name: str = "bot_agent", identity: str | None = "bot-agent") -> object:
    props = {"tools": ["search_kb"]} | ({"identity": identity} if identity else {})
    return asset("agent", name, f"bot/{name}.yaml", 1, **props)


def mcp(name: str, url: str | None, **props) -> object:
    return asset("mcp-server", name, "bot/mcp.json", 1, url=url, **props)


ACCESS = AccessEvidence(folder="gw/access", policies=12, waivers=1)
WITH_ACCESS = {"access": "access/", "approvals": {"timeout_s": 900}}
KB = {"name": "kb", "url": "http://kb:9000/mcp", "audience": "https://gw.example/mcp/kb"}

IDENTITY_CASES = [
    # every discovered agent runs as a registered, sponsored identity
    ("agents_registered", {}, {"assets": [agent()], "identity": ids(who())}, "pass", "all 1 agent"),
    ("agents_registered", {}, {"assets": [agent(identity=None)], "identity": ids(who())}, "fail",
     "bot_agent: no registered identity"),
    ("agents_registered", {}, {"assets": [agent()], "identity": ids(who(sponsors=()))}, "fail",
     "no sponsor other than its owner alice"),
    ("agents_registered", {}, {"assets": [agent()], "identity": ids(who(owner=None, sponsors=("bob",)))}, "fail",
     "(bot-agent): no owner"),
    # the owner listed as the only sponsor is not a second person; the evidence says so rather than
    # "no owner and sponsor" about an identity that has both
    ("agents_registered", {}, {"assets": [agent()], "identity": ids(who(sponsors=("alice",)))}, "fail",
     "no sponsor other than its owner alice"),
    ("agents_registered", {}, {"assets": [agent()], "identity": ids()}, "fail", "no registered identity"),
    ("agents_registered", {}, {"assets": [agent()]}, "not_assessed", "no identity registry"),
    ("agents_registered", {}, {"identity": ids(who())}, "not_assessed", "no agents"),
    # no lapsed agent identity; disabled ones and users are out of scope
    ("identities_current", {}, {"identity": ids(who(), who("old", status="disabled"))}, "pass", "all 1"),
    ("identities_current", {}, {"identity": ids(who(), who("ops", status="expired"))}, "fail", "ops: expired"),
    ("identities_current", {}, {"identity": ids(who(status="attestation-overdue"))}, "fail",
     "attestation-overdue"),
    ("identities_current", {}, {"identity": ids(who("alice", kind="user", status="expired"))}, "not_assessed",
     "no agent identities"),
    ("identities_current", {}, {}, "not_assessed", "no identity registry"),
    # no wildcard grants, in the registry or as an unconditional permit of every tool
    ("no_wildcard_tools", {}, {"identity": ids(who(tools=("crm/*", "search_*")))}, "pass", "none of 1"),
    ("no_wildcard_tools", {}, {"identity": ids(who(tools=("search_kb", "*")))}, "fail", "bot-agent: tools *"),
    ("no_wildcard_tools", {}, {"identity": ids(who(tools=("*/*",)))}, "fail", "tools */*"),
    ("no_wildcard_tools", {}, {"identity": ids(who(), access=AccessEvidence(
        folder="a", policies=2, open_tool_permits=("all-tools (t.cedar)",)))}, "fail", "all-tools (t.cedar)"),
    ("no_wildcard_tools", {}, {"identity": ids()}, "not_assessed", "no agent identities"),
    # short-lived tokens: the gateway's token settings and the audit trail's model calls
    ("short_lived_tokens", {"max_ttl_s": 3600}, {"gateway": gateway(), "identity": ids(
        key_calls={}, token_calls={"bot-agent": 9})}, "pass", "tokens live 900 s"),
    ("short_lived_tokens", {"max_ttl_s": 3600}, {"gateway": gateway(tokens={"enabled": False})}, "fail",
     "enabled is false"),
    ("short_lived_tokens", {"max_ttl_s": 3600}, {"gateway": gateway(tokens={"ttl_s": 86400})}, "fail",
     "ttl_s 86400 is over 3600"),
    # not a number of seconds: "15m" read "ttl_s 15m is over 3600", and true passed as 1 s
    ("short_lived_tokens", {"max_ttl_s": 3600}, {"gateway": gateway(tokens={"ttl_s": "15m"})}, "fail",
     "ttl_s '15m' is not a number of seconds"),
    ("short_lived_tokens", {"max_ttl_s": 3600}, {"gateway": gateway(tokens={"ttl_s": True})}, "fail",
     "ttl_s True is not a number"),
    ("short_lived_tokens", {"max_ttl_s": 3600}, {"gateway": gateway(), "identity": ids(
        key_calls={"bot-agent": 3, "quiet": 0}, token_calls={"other": 2})}, "fail",
     "bot-agent: 3 call(s) with its static API key"),
    ("short_lived_tokens", {}, {}, "not_assessed", "no gateway"),
    ("short_lived_tokens", {}, {"gateway": GatewayEvidence(source="policy.yaml", raw={"gateway": {}})},
     "not_assessed", "no gateway config"),  # a policy file alone says nothing of the gateway's tokens
    # the gateway's access policy folder
    ("access_policies_valid", {}, {"gateway": gateway(**WITH_ACCESS), "identity": IdentityEvidence(access=ACCESS)},
     "pass", "12 access policies"),
    ("access_policies_valid", {}, {"gateway": gateway()}, "fail", "no access policy folder"),
    ("access_policies_valid", {}, {"gateway": gateway(access="gone/"), "identity": IdentityEvidence(
        access=AccessEvidence(folder="gw/gone", error="gw/gone: not a folder of *.cedar policy files"))}, "fail",
     "not a folder"),
    ("access_policies_valid", {}, {}, "not_assessed", "no gateway"),
    # high-risk tools wait for approval
    ("tool_approvals_enforced", {"max_timeout_s": 86400}, {"gateway": gateway(**WITH_ACCESS),
                                                           "identity": IdentityEvidence(access=ACCESS)},
     "pass", "timeout 900 s; 1 scoped waiver"),
    ("tool_approvals_enforced", {}, {"gateway": gateway(access="access/"), "identity": IdentityEvidence(
        access=ACCESS)}, "pass", "timeout 900 s"),  # the gateway's default timeout
    ("tool_approvals_enforced", {}, {"gateway": gateway(access="a/", approvals={"timeout_s": 604800}),
                                     "identity": IdentityEvidence(access=ACCESS)}, "fail", "timeout_s 604800"),
    # a timeout that is not a number of seconds fails with it named (it used to fail the query on formatting)
    ("tool_approvals_enforced", {}, {"gateway": gateway(access="a/", approvals={"timeout_s": "1 week"}),
                                     "identity": IdentityEvidence(access=ACCESS)}, "fail", "timeout_s '1 week'"),
    ("tool_approvals_enforced", {}, {"gateway": gateway(access="a/", approvals={"timeout_s": True}),
                                     "identity": IdentityEvidence(access=ACCESS)}, "fail", "timeout_s True"),
    ("tool_approvals_enforced", {}, {"gateway": gateway(**WITH_ACCESS), "identity": IdentityEvidence(
        access=AccessEvidence(folder="a", policies=3, waivers=2, unscoped_waivers=("mail-all (t.cedar)",)))},
     "fail", "mail-all (t.cedar): waives approval without naming who or, having no condition, what"),
    # (it said "without naming who and what", also of a waiver that names who but no tool)
    ("tool_approvals_enforced", {}, {"gateway": gateway()}, "fail", "no tool call is held"),
    ("tool_approvals_enforced", {}, {"gateway": gateway(**WITH_ACCESS), "identity": IdentityEvidence(
        access=AccessEvidence(folder="a", error="access policies in a do not load: bad"))}, "not_assessed",
     "access policies in a do not load: bad (so"),  # the error said once, not "do not load: … do not load"
    # approval requests answered in time
    ("approvals_answered", {"max_lapsed_share": 0.1}, {"identity": IdentityEvidence(approvals={
        "a": ApprovalStats(requested=10, lapsed=1), "b": ApprovalStats(requested=3, lapsed=0)})}, "pass",
     "12 of 13"),
    ("approvals_answered", {"max_lapsed_share": 0.1}, {"identity": IdentityEvidence(approvals={
        "a": ApprovalStats(requested=10, lapsed=1), "b": ApprovalStats(requested=3, lapsed=2)})}, "fail",
     "b: 2 of 3"),
    ("approvals_answered", {}, {"identity": IdentityEvidence(approvals={})}, "not_assessed", "no approvals"),
    ("approvals_answered", {}, {}, "not_assessed", "no approval queue"),
    # MCP servers behind the gateway, each with its own audience
    ("mcp_audience_bound", {}, {"gateway": gateway(mcp=[KB]), "assets": [
        mcp("kb", "https://gw.example/mcp/kb"), mcp("files", None, transport="stdio")]}, "pass", "all 2"),
    ("mcp_audience_bound", {}, {"gateway": gateway(base_urls={"https://gw.example"}, mcp=[KB]), "assets": [
        mcp("kb", "https://evil.example/mcp/kb")]}, "fail", "not through the gateway"),
    ("mcp_audience_bound", {}, {"gateway": gateway(mcp=[KB]), "assets": [mcp("kb", "http://kb:9000/mcp/")]},
     "fail", "bypassing its token check"),
    ("mcp_audience_bound", {}, {"gateway": gateway(mcp=[{**KB, "audience": "aiposture-gateway"}])}, "fail",
     "is not its own"),
    ("mcp_audience_bound", {}, {"gateway": gateway(tokens={"audience": "gw"}, mcp=[
        {**KB, "audience": "gw"}])}, "fail", "audience gw is not its own"),
    ("mcp_audience_bound", {}, {"gateway": gateway(mcp=[KB, {**KB, "name": "crm"}])}, "fail",
     "kb, crm: share audience"),
    # servers are counted, not reasons: two entries sharing one audience are 2 of 2 (it read 1 of 2), and two
    # entries on the gateway's audience, which also share it, are 2 of 2 (it read 3 of 3)
    ("mcp_audience_bound", {}, {"gateway": gateway(mcp=[KB, {**KB, "name": "crm"}])}, "fail", "2 of 2 MCP"),
    ("mcp_audience_bound", {}, {"gateway": gateway(mcp=[{**KB, "audience": "aiposture-gateway"},
                                                        {**KB, "name": "crm", "audience": "aiposture-gateway"}])},
     "fail", "2 of 2 MCP"),
    ("mcp_audience_bound", {}, {"gateway": gateway()}, "not_assessed", "no remote MCP"),
    ("mcp_audience_bound", {}, {}, "not_assessed", "no gateway"),
]
