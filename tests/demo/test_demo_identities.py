"""`aiposture demo` registers Contoso's agent identities, and its gateway carries access
policies, tokens, approvals and an MCP server, so the assessed estate shows the identity
checks passing and failing for the reasons the sample was built with."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from aiposture.cli import app
from aiposture.demo.estate import write_estate
from aiposture.identity.access import AccessPolicy, AccessRequest
from aiposture.identity.principals import Principal, Principals
from aiposture.store.database import Store

runner = CliRunner()


def _agent(name: str, tools: list[str]) -> Principal:
    return Principal(name=name, kind="agent", key_id="0" * 16, created=datetime.now(UTC), tools=tools,
                     owner="alice@contoso.com", sponsors=["bob@contoso.com"])


@pytest.mark.parametrize(
    ("name", "tools", "tool", "arguments", "allowed", "approval", "policy"),
    [
        ("invoice-agent", ["send_payment"], "send_payment", {"amount": 120}, True, True, "tools-registry"),
        ("invoice-agent", ["send_payment"], "send_payment", {"amount": 9000}, False, False,
         "contoso-payments-ceiling"),
        ("support-triage", ["search_kb", "draft_reply"], "draft_reply", {}, True, False, "tools-registry"),
        ("support-triage", ["search_kb"], "send_email", {"to": "x@example.com"}, False, False, None),
        ("vendor-researcher", ["web_search", "fetch_url"], "fetch_url", {}, False, False,
         "contoso-research-read-only"),
        ("vendor-researcher", ["web_search"], "web_search", {}, True, False, "tools-registry"),
    ],
)
def test_contoso_access_policies_decide(tmp_path, name, tools, tool, arguments, allowed, approval, policy):
    estate = write_estate(tmp_path / "contoso")
    policies = AccessPolicy.load(estate / "gateway" / "access")
    decision = policies.authorize(AccessRequest(principal=_agent(name, tools), action="call_tool", resource=tool,
                                                arguments=arguments, context={"terms_accepted": True}))
    assert (decision.allowed, decision.needs_approval) == (allowed, approval), decision.reasons
    assert policy is None or policy in decision.policies


def test_the_estate_gateway_runs_with_its_access_folder_and_mcp_server(tmp_path):
    from aiposture.gateway.config import GatewayConfig

    config = GatewayConfig.load(write_estate(tmp_path / "contoso") / "gateway" / "gateway.yaml")
    assert config.access is not None and config.access.is_dir()
    assert config.tokens.ttl_s == 900 and config.approvals.timeout_s == 1800
    assert [(m.name, m.audience) for m in config.mcp] == [("tickets", "https://gateway.contoso.example/mcp/tickets")]


def test_demo_registers_identities_once_and_assess_shows_the_identity_checks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    first = runner.invoke(app, ["demo", "--dest", "contoso", "--db", db])
    assert first.exit_code == 0, first.output
    assert "registered the demo identities support-triage, invoice-agent, ops-bot" in first.output
    again = runner.invoke(app, ["demo", "--dest", "contoso", "--force", "--db", db])
    assert again.exit_code == 0 and "registered the demo identities" not in again.output
    store = Store.open(db)
    try:
        people = {p.name: p for p in Principals(store).list()}
    finally:
        store.close()
    assert set(people) == {"support-triage", "invoice-agent", "ops-bot"}
    assert people["invoice-agent"].status == "attestation-overdue" and people["support-triage"].status == "active"

    doc = json.loads(runner.invoke(app, ["assess", "contoso", "--format", "json", "--db", db]).stdout)
    checks = {c["id"]: c for c in doc["posture"]["checks"]}
    failed = {k for k, c in checks.items() if c["status"] == "fail" and int(k[-3:]) >= 16}
    passed = {k for k, c in checks.items() if c["status"] == "pass" and int(k[-3:]) >= 16}
    assert failed == {"AIP-POSTURE-016", "AIP-POSTURE-017", "AIP-POSTURE-023"}
    assert passed == {f"AIP-POSTURE-0{n}" for n in (18, 19, 20, 21, 22)}
    assert checks["AIP-POSTURE-016"]["failing"] == ["agent vendor_researcher: no registered identity"]
    assert checks["AIP-POSTURE-017"]["failing"] == ["invoice-agent: attestation-overdue"]
    assert "contoso-tickets" in checks["AIP-POSTURE-023"]["failing"][0]
    agents = {f["rule"]: f["evidence"] for f in doc["findings"] if f["rule"].startswith("AIP-AGENT-00")}
    assert "vendor_researcher" in agents["AIP-AGENT-002"] and "invoice-agent" in agents["AIP-AGENT-003"]
    assert "AIP-AGENT-004" not in agents  # the registered agents' code uses only granted tools


@pytest.mark.parametrize("mine_name", ["ops-bot", "Ops_Bot"])
def test_demo_keeps_an_identity_someone_registered_under_a_demo_name_and_adds_the_others(tmp_path, monkeypatch,
                                                                                         mine_name):
    # it checked only invoice-agent, then failed half-way on the duplicate ops-bot (exit 2); a look-alike
    # Ops_Bot, which registration refuses next to ops-bot, counts as the demo's own
    monkeypatch.chdir(tmp_path)
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    mine = runner.invoke(app, ["principals", "add", mine_name, "--kind", "agent", "--owner", "me@contoso.com",
                               "--db", db])
    assert mine.exit_code == 0, mine.output
    result = runner.invoke(app, ["demo", "--dest", "contoso", "--db", db])
    assert result.exit_code == 0, result.output
    assert "registered the demo identities support-triage, invoice-agent" in result.output
    store = Store.open(db)
    try:
        people = {p.name: p for p in Principals(store).list()}
    finally:
        store.close()
    assert set(people) == {"support-triage", "invoice-agent", mine_name}
    assert people[mine_name].owner == "me@contoso.com"
