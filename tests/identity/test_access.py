"""Cedar access policies: the shipped example set decides as its rules say, explains
itself, applies the approval rule, and fails closed on input that does not fit."""

from __future__ import annotations

import pytest
from access_fixtures import BUSINESS, SHIPPED, Who

from aiposture.errors import InputError
from aiposture.identity.access import AccessPolicy, AccessRequest

INVOICE = Who("invoice-agent", app="finance", tools=["search_kb"])
SUPPORT = Who("support-bot", app="support-copilot", tools=["send_email", "search_kb"])
OPS = Who("ops-bot", tools=["deploy_service", "restart_service"])
BOB = Who("bob", kind="user", owner=None, sponsors=[])
APP = Who("reporting", kind="app")


@pytest.fixture(scope="module")
def policy() -> AccessPolicy:
    return AccessPolicy.load(SHIPPED, validate_requests=True)


CASES = [
    # (principal, action, resource, arguments, context, allowed, needs_approval, deciding policy)
    (INVOICE, "call_tool", "search_kb", {}, {}, True, False, "tools-registry"),
    (INVOICE, "call_tool", "send_email", {}, {}, False, False, None),
    (INVOICE, "call_tool", "payments/refund", {"amount": 50}, {}, True, True, "invoice-agent-finance"),
    (INVOICE, "call_tool", "payments/refund", {"amount": "50000"}, {}, False, False, "finance-limit"),
    (INVOICE, "call_tool", "payments/refund", {"amount": 10000.5}, {}, False, False, "finance-limit"),
    (INVOICE, "call_tool", "create_invoice", {"amount": 10}, {}, True, True, "invoice-agent-finance"),
    (SUPPORT, "call_tool", "send_email", {"to": "x@contoso.com"}, {}, True, False, "support-internal-mail"),
    (SUPPORT, "call_tool", "send_email", {"to": "x@evil.example"}, {}, True, True, "tools-registry"),
    (OPS, "call_tool", "deploy_service", {}, BUSINESS, True, True, "operations-need-approval"),
    (OPS, "call_tool", "deploy_service", {}, {**BUSINESS, "time": "2026-12-02T20:00:00Z"}, False, False,
     "operations-business-hours"),
    (OPS, "call_tool", "deploy_service", {}, {**BUSINESS, "time": "2026-12-05T10:00:00Z"}, False, False,
     "operations-business-hours"),
    (OPS, "call_tool", "deploy_service", {}, {**BUSINESS, "source_ip": "203.0.113.9"}, False, False,
     "operations-corporate-network"),
    (OPS, "call_tool", "deploy_service", {}, {k: v for k, v in BUSINESS.items() if k != "source_ip"}, False,
     False, "operations-corporate-network"),
    (INVOICE, "call_tool", "web_search", {}, {"scopes": ["tool:web_*"]}, True, False, "tools-scope"),
    (BOB, "invoke_model", "gpt-4o-mini", {}, {"terms_accepted": True}, True, False, "models-people-and-apps"),
    (BOB, "invoke_model", "gpt-4o-mini", {}, {}, False, False, "ca-terms-of-use"),
    (BOB, "invoke_model", "gpt-4o-mini", {}, {"terms_accepted": True, "user_risk": "high"}, False, False,
     "ca-user-risk-high"),
    (BOB, "invoke_model", "mistral-large", {}, {"terms_accepted": True}, False, False, "models-approved-only"),
    (BOB, "invoke_model", "unknown-model", {}, {"terms_accepted": True}, False, False, "models-approved-only"),
    (BOB, "invoke_model", "gpt-4o", {}, {"terms_accepted": True, "sensitivity": "restricted"}, False, False,
     "models-restricted-data-stays-inside"),
    (BOB, "invoke_model", "llama-3-70b", {}, {"terms_accepted": True, "sensitivity": "restricted"}, True, False,
     "models-people-and-apps"),
    (APP, "invoke_model", "claude-sonnet", {}, {}, True, False, "models-people-and-apps"),
    (INVOICE, "invoke_model", "gpt-4o", {}, {"on_behalf_of": "bob"}, False, False, "ca-terms-of-use"),
    (INVOICE, "invoke_model", "gpt-4o", {}, {"on_behalf_of": "bob", "terms_accepted": True}, True, False,
     "models-agent-registry"),
    (Who("locked", models=[]), "invoke_model", "gpt-4o", {}, {}, False, False, None),
    (Who("gone", tools=["*"], status="disabled"), "call_tool", "search_kb", {}, {}, False, False,
     "inactive-principal"),
]


@pytest.mark.parametrize("who,action,resource,args,ctx,allowed,approval,decider", CASES)
def test_shipped_policies_decide_as_their_rules_say(policy, who, action, resource, args, ctx, allowed, approval,
                                                     decider):
    decision = policy.authorize(AccessRequest(who, action, resource, args, ctx))
    assert (decision.allowed, decision.needs_approval) == (allowed, approval), decision.reasons
    if decider:
        assert decider in decision.policies
        assert any(decider in r for r in decision.reasons)
    else:
        assert decision.policies == [] and decision.reasons[0].startswith("no policy permits")


def test_reasons_name_the_policy_and_the_context_values_it_read(policy):
    decision = policy.authorize(AccessRequest(BOB, "invoke_model", "gpt-4o", {}, {"terms_accepted": True,
                                                                                  "user_risk": "high"}))
    assert decision.reasons == ["forbidden by ca-user-risk-high: the user's risk level is high"]
    assert decision.context_used == {"user_risk": "high"}
    decision = policy.authorize(AccessRequest(INVOICE, "call_tool", "payments/x", {"amount": 20000}))
    assert decision.context_used == {"arguments.amount": 20000}
    assert decision.risk == "spends money"


def test_default_deny_says_no_policy_permits(policy):
    decision = policy.authorize(AccessRequest(INVOICE, "call_tool", "drop_database"))
    assert decision.reasons == ["no policy permits call_tool on Tool 'drop_database' for Agent 'invoice-agent'"]
    assert decision.risk == "changes configuration"


def test_approval_rule_high_risk_waiver_and_elevation(policy):
    base = AccessRequest(SUPPORT, "call_tool", "send_email", {"to": "a@partner.example"})
    held = policy.authorize(base)
    assert held.needs_approval and "high risk (sends data outside)" in held.reasons[-1]
    pre = policy.authorize(AccessRequest(SUPPORT, "call_tool", "send_email", {"to": "a@partner.example"},
                                         {"scopes": ["preapproved:send_*"]}))
    assert pre.allowed and not pre.needs_approval and "elevation pre-approves" in pre.reasons[-1]
    # "required" is not waived by a pre-approval
    ops = policy.authorize(AccessRequest(OPS, "call_tool", "restart_service", {},
                                         {**BUSINESS, "scopes": ["preapproved:*"]}))
    assert ops.allowed and ops.needs_approval and "operations-need-approval requires" in ops.reasons[-1]
    # a low-risk tool never needs one; an invoke_model never does
    assert not policy.authorize(AccessRequest(SUPPORT, "call_tool", "search_kb")).needs_approval
    assert not policy.authorize(AccessRequest(APP, "invoke_model", "gpt-4o")).needs_approval


def test_a_list_where_a_string_is_declared_fails_closed(policy):
    decision = policy.authorize(AccessRequest(SUPPORT, "call_tool", "send_email", {"to": ["x@contoso.com"]}))
    assert not decision.allowed and "argument 'to' must be a string" in decision.reasons[0]


@pytest.mark.parametrize("args,ctx,message", [
    ({"amount": "lots"}, {}, "argument 'amount' must be a number"),
    ({"amount": float("inf")}, {}, "finite"),
    ({"amount": True}, {}, "must be a number"),
    ({"amount": 2**70}, {}, "within 64 bits"),
    ({"dry_run": "maybe"}, {}, "true or false"),
    ({"blob": "x" * 70_000}, {}, "more than 65536"),
    ({"url": "y" * 9000}, {}, "longer than 8192"),
    ({f"k{i}": i for i in range(300)}, {}, "more than 256 tool arguments"),
    ("not an object", {}, "must be a JSON object"),
    ({}, {"source_ip": "999.1.1.1"}, "not an IP address"),
    ({}, {"user_risk": "extreme"}, "user_risk"),
    ({}, {"sensitivity": "secret"}, "sensitivity"),
    ({}, {"terms_accepted": "yes"}, "true or false"),
    ({}, {"time": "yesterday"}, "ISO 8601"),
    ({}, {"scopes": "tool:*"}, "list of strings"),
])
def test_bad_request_values_deny_with_a_reason(policy, args, ctx, message):
    decision = policy.authorize(AccessRequest(INVOICE, "call_tool", "search_kb", args, ctx))
    assert not decision.allowed and decision.reasons[0].startswith("bad request:")
    assert message in decision.reasons[0]


@pytest.mark.parametrize("who,action,resource,message", [
    (INVOICE, "delete_everything", "x", "unknown action"),
    (INVOICE, "call_tool", "", "empty"),
    (INVOICE, "call_tool", "t" * 300, "longer than 256"),
    (Who("robot", kind="robot"), "call_tool", "search_kb", "unknown principal kind"),
    (Who(""), "call_tool", "search_kb", "no usable name"),
    (object(), "call_tool", "search_kb", "unknown principal kind"),
])
def test_bad_requests_are_denied_not_raised(policy, who, action, resource, message):
    decision = policy.authorize(AccessRequest(who, action, resource))
    assert not decision.allowed and message in decision.reasons[0]


def test_odd_tool_names_are_entity_ids_not_syntax(policy):
    for name in ['x" || true', "a\nb", "üñí/çødé", "payments/refund\"};permit(principal,action,resource);"]:
        decision = policy.authorize(AccessRequest(INVOICE, "call_tool", name))
        assert not decision.allowed or name.startswith("payments/")


def test_entity_cache_follows_principal_changes(policy):
    agent = Who("cached", tools=["search_kb"])
    assert policy.authorize(AccessRequest(agent, "call_tool", "search_kb")).allowed
    agent.status = "disabled"
    assert not policy.authorize(AccessRequest(agent, "call_tool", "search_kb")).allowed
    agent.status, agent.tools = "active", []
    assert not policy.authorize(AccessRequest(agent, "call_tool", "search_kb")).allowed


def test_the_registry_principal_model_is_accepted(policy):
    from datetime import UTC, datetime

    from aiposture.identity.principals import Principal

    p = Principal(name="reg-agent", kind="agent", key_id="0" * 16, created=datetime.now(UTC),
                  tools=["search_kb"])
    allowed = policy.authorize(AccessRequest(p, "call_tool", "search_kb"))
    assert allowed.allowed == bool(getattr(p, "tools", None))


def test_a_forbid_that_cannot_be_evaluated_denies(tmp_path):
    (tmp_path / "p.cedar").write_text(
        '@id("all")\npermit (principal, action, resource);\n'
        '@id("overflowing-forbid")\nforbid (principal, action, resource) when '
        "{ context.arguments has amount && context.arguments.amount * 1000 > 5 };\n"
        '@id("overflowing-permit")\npermit (principal, action == Action::"invoke_model", resource) when '
        "{ context.arguments has count && context.arguments.count * 1000 > 5 };\n")
    policy = AccessPolicy.load(tmp_path)
    broken = policy.authorize(AccessRequest(INVOICE, "call_tool", "t", {"amount": 2**62}))
    assert not broken.allowed and broken.policies == ["overflowing-forbid"]
    assert "could not be evaluated, so the request is denied" in broken.reasons[0]
    assert "integer overflow" in broken.reasons[0]
    assert policy.authorize(AccessRequest(INVOICE, "call_tool", "t", {})).allowed
    # a permit that errors permits nothing (the other permit still does)
    assert policy.authorize(AccessRequest(INVOICE, "invoke_model", "m", {"count": 2**62})).policies == ["all"]


def test_explain_lists_the_forbids_that_were_checked_and_did_not_fire(policy):
    req = AccessRequest(OPS, "call_tool", "deploy_service", {}, BUSINESS)
    decision, checked = policy.explain(req)
    assert decision.allowed and decision.needs_approval
    ids = [c["id"] for c in checked]
    assert ids == ["ca-terms-of-use", "ca-user-risk-high", "inactive-principal", "operations-business-hours",
                   "operations-corporate-network"]  # not the model forbids, not finance-limit
    assert checked[3]["context"] == {"hour": 10, "weekday": 3}
    denied, checked = policy.explain(AccessRequest(BOB, "invoke_model", "gpt-4o", {}, {"user_risk": "high"}))
    assert denied.policies == ["ca-terms-of-use", "ca-user-risk-high"]
    assert "ca-user-risk-high" not in [c["id"] for c in checked]
    with pytest.raises(InputError):
        policy.explain(AccessRequest(BOB, "invoke_model", "gpt-4o", {}, {"user_risk": "extreme"}))
