"""Every posture check in the data has a passing and a failing estate here (STYLE.md
rule 9): a new check without cases fails this test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from govern_estates import asset, finding, scan
from identity_cases import ids, who

from aiposture.govern.checks.engine import evaluate_check
from aiposture.govern.checks.loader import load_checks
from aiposture.govern.checks.model import Status
from aiposture.govern.evidence import (
    AccessEvidence,
    ApprovalStats,
    ApprovedModels,
    AuditEvidence,
    Evidence,
    GatewayEvidence,
    IdentityEvidence,
    PostureContext,
    RedteamEvidence,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
SDK = asset("sdk", "openai", "bot/app.py", 1)


def gw(**raw) -> GatewayEvidence:
    base = {"content_logging": "redacted", "injection_action": "block"}
    apps = raw.pop("apps", frozenset())
    retention = raw.pop("retention_days", None)
    return GatewayEvidence(source="policy.yaml", raw={**base, **raw}, apps=apps, retention_days=retention,
                           config_path="gateway.yaml")


AGENT = asset("agent", "bot_agent", "bot/crew.yaml", 1, tools=["search_kb"], identity="bot-agent")
ACCESS = AccessEvidence(folder="access", policies=12, waivers=1)
GW_ACCESS = {"access": "access/", "approvals": {"timeout_s": 900}}
MCP = {"mcp": [{"name": "kb", "url": "http://kb:9000/mcp", "audience": "https://gw/mcp/kb"}]}


def rt(passed: bool) -> RedteamEvidence:
    return RedteamEvidence(target="http://bot", app="bot", passed=passed, finished=NOW - timedelta(days=1))


# check id -> (passing (assets, findings, evidence), failing (assets, findings, evidence))
CASES = {
    "AIP-POSTURE-001": (
        ([SDK], [], {"gateway": gw(apps=frozenset({"bot"}))}),
        ([SDK], [], {"gateway": gw(apps=frozenset({"other"}))}),
    ),
    "AIP-POSTURE-002": (
        ([asset("cloud-resource", "r", "bot/main.tf", public=False)], [], {}),
        ([asset("cloud-resource", "r", "bot/main.tf", public=True)], [], {}),
    ),
    "AIP-POSTURE-003": (
        (
            [asset("model", "gpt-4o", "bot/app.py")],
            [],
            {"approved_models": ApprovedModels("r.yaml", names=frozenset({"gpt-4o"}))},
        ),
        (
            [asset("model", "gpt-5", "bot/app.py")],
            [],
            {"approved_models": ApprovedModels("r.yaml", names=frozenset({"gpt-4o"}))},
        ),
    ),
    "AIP-POSTURE-004": (([SDK], [], {}), ([SDK], [finding("AIP-SECRET-001", "bot/.env", "critical")], {})),
    "AIP-POSTURE-005": (
        ([asset("model-file", "m", "bot/m.safetensors", verdict="safe")], [], {}),
        ([asset("model-file", "m", "bot/m.pkl", verdict="unsafe")], [], {}),
    ),
    "AIP-POSTURE-006": (
        ([SDK], [], {"audit": AuditEvidence(NOW, True, 5)}),
        ([SDK], [], {"audit": AuditEvidence(NOW - timedelta(days=8), True, 5)}),
    ),
    "AIP-POSTURE-007": (
        ([SDK], [], {"redteam": [rt(True)], "redteam_recorded": True}),
        ([SDK], [], {"redteam": [rt(False)], "redteam_recorded": True}),
    ),
    "AIP-POSTURE-008": (
        ([asset("agent", "a", "bot/a.py", tools=["send_email"], human_approval=True)], [], {}),
        ([asset("agent", "a", "bot/a.py", tools=["send_email"])], [], {}),
    ),
    "AIP-POSTURE-009": (
        ([SDK], [], {"gateway": gw()}),
        ([SDK], [], {"gateway": gw(content_logging="verbose")}),
    ),
    "AIP-POSTURE-010": (([SDK], [], {"gateway": gw(retention_days=90)}), ([SDK], [], {"gateway": gw()})),
    "AIP-POSTURE-011": (([SDK], [], {"gateway": gw()}), ([SDK], [], {"gateway": gw(injection_action="log")})),
    "AIP-POSTURE-012": (
        ([asset("cloud-resource", "r", "bot/main.tf")], [], {}),
        ([asset("cloud-resource", "r", "bot/main.tf")], [finding("AIP-IAC-001", "bot/main.tf")], {}),
    ),
    "AIP-POSTURE-013": (([SDK], [], {}), ([SDK], [finding("AIP-PATH-002", "bot/app.py", "critical")], {})),
    "AIP-POSTURE-014": (
        ([asset("model-file", "m", "bot/m.pkl")], [], {}),
        ([asset("model-file", "m", "bot/m.pkl")], [finding("AIP-MODEL-001", "bot/m.pkl")], {}),
    ),
    "AIP-POSTURE-015": (
        ([asset("agent", "a", "bot/a.py", tools=["search"])], [], {}),
        ([asset("agent", "a", "bot/a.py")], [], {}),
    ),
    "AIP-POSTURE-016": (
        ([AGENT], [], {"identity": ids(who())}),
        ([AGENT], [], {"identity": ids(who(sponsors=()))}),
    ),
    "AIP-POSTURE-017": (
        ([AGENT], [], {"identity": ids(who())}),
        ([AGENT], [], {"identity": ids(who(status="attestation-overdue"))}),
    ),
    "AIP-POSTURE-018": (
        ([SDK], [], {"gateway": gw(gateway={"tokens": {"ttl_s": 900}}),
                     "identity": ids(who(), key_calls={}, token_calls={"bot-agent": 4})}),
        ([SDK], [], {"gateway": gw(gateway={}), "identity": ids(who(), key_calls={"bot-agent": 3}, token_calls={})}),
    ),
    "AIP-POSTURE-019": (
        ([SDK], [], {"gateway": gw(gateway=GW_ACCESS), "identity": IdentityEvidence(access=ACCESS)}),
        ([SDK], [], {"gateway": gw(gateway={"access": "access/"}),
                     "identity": IdentityEvidence(access=AccessEvidence(folder="access", error="bad policy"))}),
    ),
    "AIP-POSTURE-020": (
        ([SDK], [], {"gateway": gw(gateway=GW_ACCESS), "identity": IdentityEvidence(access=ACCESS)}),
        ([SDK], [], {"gateway": gw(gateway=GW_ACCESS), "identity": IdentityEvidence(
            access=AccessEvidence(folder="access", policies=3, waivers=1, unscoped_waivers=("mail (t.cedar)",)))}),
    ),
    "AIP-POSTURE-021": (
        ([AGENT], [], {"identity": ids(who(tools=("search_kb", "crm/read_*")))}),
        ([AGENT], [], {"identity": ids(who(tools=("*",)))}),
    ),
    "AIP-POSTURE-022": (
        ([SDK], [], {"identity": IdentityEvidence(approvals={"bot-agent": ApprovalStats(requested=20, lapsed=1)})}),
        ([SDK], [], {"identity": IdentityEvidence(approvals={"bot-agent": ApprovalStats(requested=4, lapsed=3)})}),
    ),
    "AIP-POSTURE-023": (
        ([asset("mcp-server", "kb", "bot/mcp.json", url="https://gw/mcp/kb")], [], {"gateway": gw(gateway=MCP)}),
        ([asset("mcp-server", "kb", "bot/mcp.json", url="http://kb:9000/mcp")], [], {"gateway": gw(gateway=MCP)}),
    ),
}


def _evaluate(check, case):
    assets, findings, evidence = case
    ctx = PostureContext(
        result=scan(assets, findings), evidence=Evidence(now=NOW, **evidence), app="bot", apps=["bot"]
    )
    return evaluate_check(check, ctx)


def test_every_check_has_cases():
    assert {c.id for c in load_checks()} == set(CASES)


@pytest.mark.parametrize("check", load_checks(), ids=lambda c: c.id)
def test_check_passes_and_fails(check):
    passing, failing = CASES[check.id]
    good = _evaluate(check, passing)
    bad = _evaluate(check, failing)
    assert good.status is Status.PASS, good.why
    assert bad.status is Status.FAIL, bad.why
    assert bad.why and bad.remediation
