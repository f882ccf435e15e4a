"""Every posture check in the data has a passing and a failing estate here (STYLE.md
rule 9): a new check without cases fails this test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from govern_estates import asset, finding, scan

from aiposture.govern.checks.engine import evaluate_check
from aiposture.govern.checks.loader import load_checks
from aiposture.govern.checks.model import Status
from aiposture.govern.evidence import (
    ApprovedModels,
    AuditEvidence,
    Evidence,
    GatewayEvidence,
    PostureContext,
    RedteamEvidence,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
SDK = asset("sdk", "openai", "bot/app.py", 1)


def gw(**raw) -> GatewayEvidence:
    base = {"content_logging": "redacted", "injection_action": "block"}
    apps = raw.pop("apps", frozenset())
    retention = raw.pop("retention_days", None)
    return GatewayEvidence(source="policy.yaml", raw={**base, **raw}, apps=apps, retention_days=retention)


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
