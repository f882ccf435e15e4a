"""Discover and assess link the agents they find to registered identities and report
the unregistered, the lapsed and the over-tooled ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from aiposture.cli import app
from aiposture.commands.agent_identities import link_agents
from aiposture.discover.rules import all_rules
from aiposture.identity.principals import Principal, Principals
from aiposture.model import Asset, Location, RunInfo, ScanResult
from aiposture.store.database import Store

runner = CliRunner()
AGENTS = """\
invoice_payer:
  role: Accounts payable clerk
  goal: Pay supplier invoices that are due
  backstory: Reads the finance mailbox and pays what suppliers ask for.
  tools: [read_email, send_payment, send_email]
kb_helper:
  role: Knowledge base helper
  goal: Answer questions from the knowledge base
  backstory: Reads the wiki.
  tools: [search_kb]
"""


def _principal(name: str, **kw) -> Principal:
    return Principal(name=name, kind="agent", key_id="0" * 16, created=datetime.now(UTC), **kw)


def _scan(*agents: tuple[str, list[str]]) -> ScanResult:
    run = RunInfo(id="r1", command="discover", target=".", started=datetime.now(UTC))
    assets = [Asset.make("agent", name, f"a.yaml:{name}", locations=[Location(path="a.yaml", line=1)],
                         properties={"framework": "crewai", "tools": tools}) for name, tools in agents]
    assets.append(Asset.make("sdk", "openai"))
    return ScanResult(run=run, assets=assets)


@pytest.mark.parametrize(
    "principal, rules, identity",
    [
        (None, ["AIP-AGENT-002"], None),
        (_principal("invoice-payer", tools=["read_email", "send_*"]), [], "invoice-payer"),
        (_principal("Invoice_Payer", tools=["read_email"]), ["AIP-AGENT-004"], "Invoice_Payer"),
        (_principal("finance-bot", tools=["*"], attributes={"discovered_as": "other, invoice_payer"}), [],
         "finance-bot"),
        (_principal("invoice-payer", tools=["*"], enabled=False), ["AIP-AGENT-003"], "invoice-payer"),
        (_principal("invoice-payer", tools=["*"], expires=datetime.now(UTC) - timedelta(days=1)),
         ["AIP-AGENT-003"], "invoice-payer"),
        (_principal("invoice-payer", tools=[], attest_every_days=1,
                    last_attested=datetime.now(UTC) - timedelta(days=3)), ["AIP-AGENT-003", "AIP-AGENT-004"],
         "invoice-payer"),
    ],
)
def test_link_table(principal, rules, identity):
    result = _scan(("invoice_payer", ["read_email", "send_payment"]))
    others = [_principal("unrelated")]
    link_agents(result, others + ([principal] if principal else []))
    agent = result.assets[0]
    assert agent.properties["identity"] == identity
    assert sorted(f.rule for f in result.findings) == rules
    for f in result.findings:
        assert f.asset == agent.id and f.frameworks and f.evidence and f.location.path == "a.yaml"
    if "AIP-AGENT-004" in rules:
        assert "send_payment" in next(f.evidence for f in result.findings if f.rule == "AIP-AGENT-004")


def test_no_principals_no_linking():
    result = _scan(("invoice_payer", []))
    assert link_agents(result, []) == 0
    assert result.findings == [] and "identity" not in result.assets[0].properties


def test_identity_rules_are_data_with_framework_mappings():
    rules = all_rules()
    for rid in ("AIP-AGENT-002", "AIP-AGENT-003", "AIP-AGENT-004"):
        rule = rules[rid]
        assert rule.frameworks and all(rule.frameworks.values()) and rule.remediation
        assert "owasp-agentic-2026" in rule.frameworks


@pytest.fixture
def estate(tmp_path, monkeypatch):
    monkeypatch.setenv("AIPOSTURE_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "src" / "agents").mkdir(parents=True)
    (tmp_path / "src" / "agents" / "agents.yaml").write_text(AGENTS)
    return tmp_path / "src", f"sqlite:///{tmp_path / 'd.db'}"


def _discover(root, db) -> dict:
    result = runner.invoke(app, ["discover", str(root), "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_discover_links_and_reports(estate):
    root, db = estate
    before = _discover(root, db)
    assert not [f for f in before["findings"] if f["rule"].startswith("AIP-AGENT-00") and f["rule"] != "AIP-AGENT-001"]
    store = Store.open(db)
    Principals(store).add("invoice-payer", "agent", owner="alice", tools=["read_email"])
    store.close()
    after = _discover(root, db)
    agents = {a["name"]: a["properties"] for a in after["assets"] if a["kind"] == "agent"}
    assert agents["invoice_payer"]["identity"] == "invoice-payer"
    assert agents["invoice_payer"]["identity_status"] == "active"
    assert agents["kb_helper"]["identity"] is None
    rules = sorted(f["rule"] for f in after["findings"] if f["rule"] in ("AIP-AGENT-002", "AIP-AGENT-004"))
    assert rules == ["AIP-AGENT-002", "AIP-AGENT-004"]
    sarif = runner.invoke(app, ["discover", str(root), "--db", db, "--format", "sarif", "--no-store"])
    assert sarif.exit_code == 0 and "AIP-AGENT-002" not in sarif.stdout  # --no-store: no store, no linking


def test_assess_links_agents(estate):
    root, db = estate
    store = Store.open(db)
    Principals(store).add("kb-helper", "agent", owner="bob", tools=["search_kb"])
    store.close()
    result = runner.invoke(app, ["assess", str(root), "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "AIP-AGENT-002" in text and "invoice_payer" in text and "kb-helper" in text


def test_a_principals_own_name_wins_over_another_principals_hint():
    # the name won only over its own hints: a principal listed later whose discovered_as named
    # an existing principal took that principal's agent
    result = _scan(("invoice_payer", ["read_email"]))
    link_agents(result, [_principal("invoice-payer", tools=["read_email"]),
                         _principal("zz-finance", tools=["*"], attributes={"discovered_as": "invoice_payer"})])
    assert result.assets[0].properties["identity"] == "invoice-payer"
