"""The authorization test matrix: principals x resources x contexts, several hundred
cases, decided by Cedar through `AccessPolicy.authorize` and by a small reference
oracle written plainly in Python from what the shipped policies are meant to do
(docs/access.md). Zero wrong decisions: allowed, needs_approval and the deciding
forbid policies must agree for every case.

The oracle shares no code with the engine: its own tables of models, tool groups and
tool risk classes, stdlib fnmatch for globs, ipaddress for networks."""

from __future__ import annotations

import itertools
import random
from fnmatch import fnmatchcase
from ipaddress import ip_address, ip_network

import pytest
from access_fixtures import SHIPPED, Who

from aiposture.identity.access import AccessPolicy, AccessRequest

PRINCIPALS = [
    Who("bob", kind="user", owner=None, sponsors=[]),
    Who("reporting", kind="app"),
    Who("invoice-agent", app="finance", tools=["search_kb"]),
    Who("support-bot", app="support-copilot", tools=["send_email", "search_kb"]),
    Who("ops-bot", tools=["deploy_service", "restart_*"]),
    Who("local-only", tools=["*"], models=["llama-*"]),
    Who("no-models", tools=[], models=[]),
    Who("retired", tools=["*"], status="disabled"),
    Who("overdue", tools=["search_kb"], status="attestation-overdue"),
]
# the oracle's own view of the catalog (catalog.yaml) and risk classes (tool_risks.yaml)
MODELS = {  # name -> (approved, external)
    "gpt-4o-mini": (True, True), "claude-sonnet": (True, True), "llama-3-70b": (True, False),
    "mistral-large": (False, True), "homebrew-7b": (False, True),
}
TOOLS = {  # name -> (groups, risky)
    "search_kb": ({"knowledge"}, False), "web_search": ({"knowledge"}, False),
    "send_email": ({"messaging"}, True), "payments/refund": ({"finance"}, True),
    "create_invoice": ({"finance"}, True), "deploy_service": ({"operations"}, True),
    "restart_service": ({"operations"}, True), "drop_database": (set(), True),
    "github/create_issue": (set(), False), "crm/export_contacts": (set(), True),
    "slack/post_message": (set(), True),
}
CORPORATE = [ip_network("10.0.0.0/8"), ip_network("192.168.0.0/16")]
TIMES = ["2026-12-02T10:00:00Z", "2026-12-02T07:59:00Z", "2026-12-02T18:00:00Z", "2026-12-06T11:00:00Z"]
IPS = ["10.4.5.6", "192.168.1.20", "203.0.113.7", None]
SCOPES = [[], ["tool:deploy_*", "tool:send_email"], ["preapproved:send_*", "preapproved:payments/*"],
          ["tool:*", "preapproved:*"]]
ARGUMENTS = [{}, {"amount": 250}, {"amount": 25000}, {"amount": "10001"}, {"to": "ann@contoso.com"},
             {"to": "eve@evil.example"}, {"to": "eve@evilcontoso.com"}, {"to": "ann@contoso.com", "amount": 10000}]


def forbids(who: Who, action: str, resource: str, args: dict, ctx: dict) -> list[str]:
    """Every forbid rule that applies, in the order the policy files list them."""
    out = []
    human = who.kind == "user" or bool(ctx.get("on_behalf_of"))
    if human and not ctx.get("terms_accepted", False):
        out.append("ca-terms-of-use")
    if ctx.get("user_risk") == "high":
        out.append("ca-user-risk-high")
    if who.status != "active":
        out.append("inactive-principal")
    if action == "invoke_model":
        approved, external = MODELS[resource]
        if not approved:
            out.append("models-approved-only")
        if external and ctx.get("sensitivity") == "restricted":
            out.append("models-restricted-data-stays-inside")
        return out
    groups, _ = TOOLS[resource]
    if "operations" in groups:
        hour, weekday = int(ctx["time"][11:13]), _weekday(ctx["time"])
        if not (weekday <= 5 and 8 <= hour < 18):
            out.append("operations-business-hours")
        ip = ctx.get("source_ip")
        if ip is None or not any(ip_address(ip) in net for net in CORPORATE):
            out.append("operations-corporate-network")
    amount = args.get("amount")
    if "finance" in groups and amount is not None and int(amount) > 10000:
        out.append("finance-limit")
    return out


def oracle(who: Who, action: str, resource: str, args: dict, ctx: dict) -> tuple[bool, bool, list[str]]:
    """(allowed, needs_approval, the forbids that decided) as the policies intend."""
    denied_by = forbids(who, action, resource, args, ctx)
    if denied_by:
        return False, False, denied_by
    if action == "invoke_model":
        if who.kind in ("user", "app"):
            return True, False, []
        return any(fnmatchcase(resource, g) for g in who.models), False, []
    groups, risky = TOOLS[resource]
    scopes = ctx.get("scopes", [])
    granted = any(fnmatchcase(resource, g) for g in who.tools)
    in_scope = any(s.startswith("tool:") and fnmatchcase(resource, s[5:]) for s in scopes)
    preapproved = any(s.startswith("preapproved:") and fnmatchcase(resource, s[12:]) for s in scopes)
    internal_mail = (who.app == "support-copilot" and resource == "send_email"
                     and str(args.get("to", "")).endswith("@contoso.com"))
    ops_rule = who.kind == "agent" and "operations" in groups and (granted or in_scope)
    invoice_rule = who.name == "invoice-agent" and "finance" in groups
    if not (granted or in_scope or internal_mail or ops_rule or invoice_rule):
        return False, False, []
    if ops_rule:
        return True, True, []
    return True, risky and not internal_mail and not preapproved, []


def _weekday(iso: str) -> int:
    from datetime import date

    return date.fromisoformat(iso[:10]).isoweekday()


def _context(rng: random.Random, who: Who, scopes: list[str]) -> dict:
    ctx = {"time": rng.choice(TIMES), "terms_accepted": rng.random() < 0.8,
           "user_risk": rng.choice(["low", "low", "medium", "high", "unknown"]),
           "sensitivity": rng.choice(["public", "internal", "confidential", "restricted"]), "scopes": scopes}
    if (ip := rng.choice(IPS)) is not None:
        ctx["source_ip"] = ip
    if who.kind == "agent" and rng.random() < 0.3:
        ctx["on_behalf_of"] = "bob"
    return ctx


def cases() -> list[tuple]:
    """Every principal x every resource; tools x every argument shape x two scope sets
    (cycling through all of them); models x eight contexts; the rest of the context
    drawn with a fixed seed."""
    rng = random.Random(8)
    out = []
    for who, resource in itertools.product(PRINCIPALS, list(TOOLS) + list(MODELS)):
        if resource in TOOLS:
            for i, args in enumerate(ARGUMENTS):
                for j in range(2):
                    ctx = _context(rng, who, SCOPES[(2 * i + j) % len(SCOPES)])
                    out.append((who, "call_tool", resource, args, ctx))
        else:
            for i in range(8):
                out.append((who, "invoke_model", resource, {}, _context(rng, who, SCOPES[i % len(SCOPES)])))
    return out


CASES = cases()


@pytest.fixture(scope="module")
def policy() -> AccessPolicy:
    return AccessPolicy.load(SHIPPED, validate_requests=True)


def test_the_matrix_has_zero_wrong_decisions(policy):
    fast = AccessPolicy.load(SHIPPED)
    wrong = []
    for who, action, resource, args, ctx in CASES:
        expected_allowed, expected_approval, expected_forbid = oracle(who, action, resource, args, ctx)
        decision = policy.authorize(AccessRequest(who, action, resource, args, ctx))
        got = (decision.allowed, decision.needs_approval)
        if got != (expected_allowed, expected_approval) or (
                expected_forbid and decision.policies != expected_forbid):
            wrong.append((who.name, action, resource, args, ctx, got, expected_forbid, decision.reasons))
        unchecked = fast.authorize(AccessRequest(who, action, resource, args, ctx))
        assert (unchecked.allowed, unchecked.needs_approval, unchecked.policies) == (
            decision.allowed, decision.needs_approval, decision.policies)
    assert len(CASES) >= 500
    assert wrong == [], f"{len(wrong)} wrong of {len(CASES)}: {wrong[:3]}"


def test_the_matrix_covers_every_outcome_and_every_policy(policy):
    outcomes, deciders = set(), set()
    for who, action, resource, args, ctx in CASES:
        decision = policy.authorize(AccessRequest(who, action, resource, args, ctx))
        outcomes.add((decision.allowed, decision.needs_approval))
        deciders.update(decision.policies)
    assert outcomes == {(True, False), (True, True), (False, False)}
    assert deciders == set(policy.policies), set(policy.policies) - deciders


def _wrong(policy: AccessPolicy) -> int:
    count = 0
    for who, action, resource, args, ctx in CASES:
        allowed, approval, _ = oracle(who, action, resource, args, ctx)
        decision = policy.authorize(AccessRequest(who, action, resource, args, ctx))
        count += (decision.allowed, decision.needs_approval) != (allowed, approval)
    return count


@pytest.mark.parametrize("file,old,new", [
    ("tools.cedar", "context.arguments.amount > 10000", "context.arguments.amount >= 10000"),
    ("tools.cedar", "context.hour < 18", "context.hour <= 18"),
    ("tools.cedar", 'like "*@contoso.com"', 'like "*contoso.com"'),
    ("models.cedar", "context.sensitivity >= 3", "context.sensitivity >= 2"),
    ("conditional-access.cedar", "(principal is User || context.delegated)", "(principal is User)"),
])
def test_the_matrix_catches_a_changed_rule(tmp_path, file, old, new):
    from access_fixtures import copy_shipped

    folder = copy_shipped(tmp_path / "mutant")
    text = (folder / file).read_text()
    assert old in text
    (folder / file).write_text(text.replace(old, new))
    assert _wrong(AccessPolicy.load(folder)) > 0
