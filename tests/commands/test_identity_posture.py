"""The identity evidence `assess` gathers (registry, access policies, approvals, audit) and
the identity posture checks it decides, on real stores, policy folders and estates."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest
from typer.testing import CliRunner

from aiposture.audit.trail import AuditTrail
from aiposture.cli import app
from aiposture.commands.identity_posture import access_evidence, identity_evidence
from aiposture.govern.evidence import Evidence, GatewayEvidence
from aiposture.identity.approvals import Approvals
from aiposture.identity.principals import Principals
from aiposture.store.database import Store

runner = CliRunner()
NOW = datetime.now(UTC)


@pytest.fixture
def store(tmp_path):
    s = Store.open(f"sqlite:///{tmp_path / 'id.db'}")
    yield s
    s.close()


def _examples(dest):
    with resources.as_file(resources.files("aiposture.data").joinpath("identity", "policies")) as src:
        shutil.copytree(src, dest)
    return dest


def _evidence(tmp_path, **gateway) -> Evidence:
    gw = GatewayEvidence(source="policy.yaml", raw={"gateway": gateway}, config_path=str(tmp_path / "gateway.yaml"))
    return Evidence(gateway=gw, now=NOW)


def test_shipped_example_policies_load_with_one_scoped_waiver(tmp_path):
    _examples(tmp_path / "access")
    found = access_evidence(_evidence(tmp_path, access="access"))
    assert found.error is None and found.policies >= 10
    assert found.waivers == 1 and found.unscoped_waivers == () and found.open_tool_permits == ()


@pytest.mark.parametrize(
    ("policy", "waiver", "open_permit"),
    [
        ('@id("w") @approval("waived") permit (principal, action == Action::"call_tool", '
         'resource == Tool::"send_email");', True, False),  # anyone
        ('@id("w") @approval("waived") permit (principal is Agent, action == Action::"call_tool", '
         'resource == Tool::"send_email");', True, False),  # every agent
        ('@id("w") @approval("waived") permit (principal == Agent::"a", action, resource);', True, True),
        ('@id("w") @approval("waived") permit (principal == Agent::"a", action == Action::"call_tool", '
         'resource) when { context.arguments has to };', False, False),  # who, and a condition
        ('@id("w") permit (principal == Agent::"a", action in [Action::"call_tool"], resource);', False, True),
        ('@id("w") permit (principal == Agent::"a", action == Action::"invoke_model", resource);', False, False),
    ],
)
def test_weak_permits(tmp_path, policy, waiver, open_permit):
    (tmp_path / "access").mkdir()
    (tmp_path / "access" / "p.cedar").write_text(policy)
    found = access_evidence(_evidence(tmp_path, access="access"))
    assert found.error is None
    assert found.unscoped_waivers == (("w (p.cedar)",) if waiver else ())
    assert found.open_tool_permits == (("w (p.cedar)",) if open_permit else ())


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no *.cedar"),
        ({"p.cedar": "permit (principal, action, resource"}, "cannot parse"),
        ({"p.cedar": 'permit (principal, action, resource);'}, "@id"),
        ({"p.cedar": '@id("x") permit (principal, action, resource) when { context.nope };'}, "does not validate"),
    ],
)
def test_a_folder_that_does_not_load_is_an_error_not_a_crash(tmp_path, files, message):
    (tmp_path / "access").mkdir()
    for name, text in files.items():
        (tmp_path / "access" / name).write_text(text)
    found = access_evidence(_evidence(tmp_path, access="access"))
    assert found.error and message in found.error


def test_no_access_folder_or_gateway_is_none(tmp_path):
    assert access_evidence(_evidence(tmp_path)) is None
    assert access_evidence(Evidence()) is None
    missing = access_evidence(_evidence(tmp_path, access="nowhere"))
    assert "not a folder" in missing.error


def test_registry_approvals_and_audit_from_the_store(tmp_path, store):
    people = Principals(store)
    people.add("kb-agent", "agent", owner="alice", sponsors=["bob"], tools=["search_kb"])
    people.add("ops-bot", "agent", owner="carol", tools=["*"], attest_every_days=30)
    people.add("alice", "user")
    approvals = Approvals(store, clock=lambda: NOW - timedelta(days=2))
    approvals.request("ops-bot", "deploy_service", {}, reason="r", risk="changes configuration", timeout_s=60)
    Approvals(store).request("kb-agent", "send_email", {}, reason="r", risk="sends data outside", timeout_s=900)
    Approvals(store, clock=lambda: NOW - timedelta(days=40)).request("kb-agent", "x", {}, reason="", risk=None,
                                                                     timeout_s=60)  # outside the window
    trail = AuditTrail(store, tmp_path / "audit.key")
    stamp = NOW.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    call = {"time": stamp, "direction": "prompt", "model": "gpt-4o-mini", "verdict": {"action": "allow"}}
    trail.append([
        {**call, "principal": "kb-agent", "data": {"route": "/v1/chat/completions", "token": {"jti": "j1"}}},
        {**call, "principal": "ops-bot", "data": {"route": "/v1/chat/completions"}},
        {**call, "principal": "ops-bot", "direction": "token",
         "data": {"event": "token_refused", "route": "/v1/chat/completions", "reason": "expired"}},
    ])
    trail.close()
    evidence = _evidence(tmp_path)
    notes: list[str] = []
    identity_evidence(store)(evidence, notes)
    found = evidence.identity
    assert notes == []
    assert found.principals["kb-agent"].sponsors == ("bob",) and found.principals["alice"].kind == "user"
    assert found.principals["ops-bot"].status == "active" and found.principals["ops-bot"].tools == ("*",)
    assert {k: (v.requested, v.lapsed) for k, v in found.approvals.items()} == {"ops-bot": (1, 1), "kb-agent": (1, 0)}
    assert found.key_calls == {"ops-bot": 1} and found.token_calls == {"kb-agent": 1}


def test_without_a_store_only_the_access_folder_is_read(tmp_path):
    _examples(tmp_path / "access")
    evidence = _evidence(tmp_path, access="access")
    identity_evidence(None)(evidence, [])
    assert evidence.identity.access.policies >= 10
    assert evidence.identity.principals is None and evidence.identity.approvals is None


AGENTS = """\
kb_helper:
  role: Knowledge base helper
  goal: Answer questions from the knowledge base
  backstory: Reads the wiki.
  tools: [search_kb]
shadow_bot:
  role: Researcher
  goal: Look things up
  backstory: Nobody registered it.
  tools: [web_search]
"""


def test_assess_decides_the_identity_checks(tmp_path, store, monkeypatch):
    monkeypatch.chdir(tmp_path)
    estate = tmp_path / "estate"
    (estate / "crew").mkdir(parents=True)
    (estate / "crew" / "agents.yaml").write_text(AGENTS)
    (estate / "gateway").mkdir()
    _examples(estate / "gateway" / "access")
    (estate / "gateway" / "gateway.yaml").write_text(
        "upstreams: [{name: openai, base_url: 'https://api.openai.com'}]\naccess: access/\n"
        "approvals: {timeout_s: 600}\ntokens: {ttl_s: 600}\n"
    )
    Principals(store).add("kb-helper", "agent", owner="alice", sponsors=["bob"], tools=["search_kb"])
    db = str(store.engine.url)
    result = runner.invoke(app, ["assess", str(estate), "--format", "json", "--db", db])
    assert result.exit_code == 0, result.output
    checks = {c["id"]: c for c in json.loads(result.stdout)["posture"]["checks"]}
    status = {k: c["status"] for k, c in checks.items()}
    assert status["AIP-POSTURE-016"] == "fail" and checks["AIP-POSTURE-016"]["failing"] == [
        "agent shadow_bot: no registered identity"]
    assert checks["AIP-POSTURE-016"]["pass_fraction"] == 0.5
    assert status["AIP-POSTURE-017"] == status["AIP-POSTURE-021"] == "pass"
    assert status["AIP-POSTURE-018"] == status["AIP-POSTURE-019"] == status["AIP-POSTURE-020"] == "pass"
    assert status["AIP-POSTURE-022"] == status["AIP-POSTURE-023"] == "not_assessed"
    findings = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert {"AIP-AGENT-002", "AIP-POSTURE-016"} <= findings
    offline = json.loads(runner.invoke(app, ["assess", str(estate), "--format", "json", "--no-store"]).stdout)
    offline_status = {c["id"]: c["status"] for c in offline["posture"]["checks"]}
    assert offline_status["AIP-POSTURE-016"] == "not_assessed" and offline_status["AIP-POSTURE-019"] == "pass"
