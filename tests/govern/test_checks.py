"""Posture checks: every check loads and maps to a framework; each evidence query kind
passes, fails and is not assessed (with why) on constructed estates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from govern_estates import asset, finding, scan
from identity_cases import IDENTITY_CASES

from aiposture.govern.checks.engine import evaluate_check
from aiposture.govern.checks.loader import load_checks
from aiposture.govern.checks.model import Check, Query, Status
from aiposture.govern.checks.queries import query_registry, run_query
from aiposture.govern.evidence import (
    ApprovedModels,
    AuditEvidence,
    Evidence,
    GatewayEvidence,
    PostureContext,
    RedteamEvidence,
)
from aiposture.govern.frameworks import with_frameworks

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _gateway(**kw) -> GatewayEvidence:
    raw = {"content_logging": kw.pop("logging", "redacted"), "injection_action": kw.pop("injection", "block")}
    return GatewayEvidence(source="policy.yaml", raw=raw, **kw)


def _ctx(assets=(), findings=(), apps=("app",), **evidence) -> PostureContext:
    ev = Evidence(now=NOW, **evidence)
    return PostureContext(result=scan(list(assets), list(findings)), evidence=ev, app=None, apps=list(apps))


def test_every_check_loads_with_known_queries_and_frameworks():
    checks = with_frameworks(load_checks())
    assert len(checks) >= 10
    kinds = set(query_registry())
    for check in checks:
        assert check.frameworks, f"{check.id} maps to no framework requirement"
        assert all(q.kind in kinds for q in check.evidence)
        assert check.rationale and check.remediation


def test_the_issue_checks_exist():
    titles = " ".join(c.title.lower() for c in load_checks())
    for words in (
        "gateway",
        "internet",
        "approved models",
        "secrets",
        "model file",
        "audit",
        "red-team",
        "approval",
        "logging",
        "retention",
    ):
        assert words in titles, words


MODEL_SAFE = asset("model-file", "a.safetensors", "ml/a.safetensors", verdict="safe", sha256="aa")
MODEL_BAD = asset("model-file", "b.pkl", "ml/b.pkl", verdict="unsafe", sha256="bb")
MODEL_UNSCANNED = asset("model-file", "c.bin", "ml/c.bin")
PUBLIC = asset("cloud-resource", "aoai", "infra/main.tf", 4, public=True)
PRIVATE = asset("cloud-resource", "aoai-priv", "infra/main.tf", 20, public=False)
AGENT_OK = asset(
    "agent", "a1", "bot/agent.py", tools=[{"name": "send_email", "approval": "required"}, "search"]
)
AGENT_BAD = asset("agent", "a2", "bot/agent2.py", tools=["run_shell", "search"])
AGENT_HARMLESS = asset("agent", "a3", "bot/agent3.py", tools=["search_docs"])

CASES = [
    # (kind, params, context kwargs, expected status, words in why)
    ("no_findings", {"rule_prefix": ["AIP-SECRET-"]}, {"assets": [MODEL_SAFE]}, Status.PASS, "no AIP-SECRET"),
    (
        "no_findings",
        {"rule_prefix": ["AIP-SECRET-"]},
        {"assets": [MODEL_SAFE], "findings": [finding("AIP-SECRET-002", "app/.env")]},
        Status.FAIL,
        "AIP-SECRET-002",
    ),
    (
        "no_findings",
        {"rule_prefix": ["AIP-IAC-"], "min_severity": "high"},
        {"assets": [PUBLIC], "findings": [finding("AIP-IAC-001", "infra/main.tf", "medium")]},
        Status.PASS,
        "high",
    ),
    (
        "no_findings",
        {"rule_prefix": ["AIP-IAC-"], "requires_kinds": ["cloud-resource"]},
        {"assets": [MODEL_SAFE]},
        Status.NOT_ASSESSED,
        "no cloud-resource",
    ),
    (
        "asset_property",
        {"kinds": ["model-file"], "property": "verdict", "expected": ["safe"]},
        {"assets": [MODEL_SAFE]},
        Status.PASS,
        "1 asset",
    ),
    (
        "asset_property",
        {"kinds": ["model-file"], "property": "verdict", "expected": ["safe"]},
        {"assets": [MODEL_SAFE, MODEL_BAD, MODEL_UNSCANNED]},
        Status.FAIL,
        "2 of 3",
    ),
    (
        "asset_property",
        {"kinds": ["model-file"], "property": "verdict", "expected": ["safe"]},
        {"assets": [PUBLIC]},
        Status.NOT_ASSESSED,
        "no model-file",
    ),
    (
        "asset_property",
        {"kinds": ["cloud-resource"], "property": "public", "expected": [False], "missing": "pass"},
        {"assets": [PRIVATE]},
        Status.PASS,
        "",
    ),
    (
        "asset_property",
        {"kinds": ["cloud-resource"], "property": "public", "expected": [False], "missing": "pass"},
        {"assets": [PRIVATE, PUBLIC]},
        Status.FAIL,
        "1 of 2",
    ),
    (
        "asset_property",
        {"kinds": ["agent"], "property": "tools", "present": True},
        {"assets": [asset("agent", "x", "a.py")]},
        Status.FAIL,
        "tools",
    ),
    ("gateway_coverage", {}, {"apps": ["support-bot"]}, Status.NOT_ASSESSED, "no gateway policy"),
    (
        "gateway_coverage",
        {},
        {"apps": ["apps/support-bot"], "gateway": _gateway(apps=frozenset({"support-bot"}))},
        Status.PASS,
        "1 app",
    ),
    (
        "gateway_coverage",
        {},
        {"apps": ["a", "b"], "gateway": _gateway(apps=frozenset({"a"}))},
        Status.FAIL,
        "1 of 2",
    ),
    (
        "gateway_policy",
        {"path": ["content_logging"], "one_of": ["none", "redacted", "full"]},
        {"gateway": _gateway()},
        Status.PASS,
        "redacted",
    ),
    (
        "gateway_policy",
        {"path": ["injection_action"], "one_of": ["block"]},
        {"gateway": _gateway(injection="log")},
        Status.FAIL,
        "expected one of block",
    ),
    ("gateway_policy", {"path": ["nothing.here"]}, {"gateway": _gateway()}, Status.FAIL, "not set"),
    ("retention_set", {}, {"gateway": _gateway(retention_days=365)}, Status.PASS, "365"),
    ("retention_set", {}, {"gateway": _gateway()}, Status.FAIL, "no retention"),
    ("retention_set", {"max_days": 100}, {"gateway": _gateway(retention_days=365)}, Status.FAIL, "outside"),
    ("approved_models", {}, {"assets": [MODEL_SAFE]}, Status.NOT_ASSESSED, "no approved-model registry"),
    (
        "approved_models",
        {},
        {"assets": [MODEL_SAFE], "approved_models": ApprovedModels("r.yaml", sha256=frozenset({"AA"}))},
        Status.PASS,
        "approved",
    ),
    (
        "approved_models",
        {},
        {
            "assets": [MODEL_SAFE, asset("model", "gpt-4o", "app.py")],
            "gateway": _gateway(approved_models=frozenset({"gpt-4o-mini"})),
        },
        Status.FAIL,
        "2 model",
    ),
    ("audit_verified_within", {"days": 7}, {}, Status.NOT_ASSESSED, "no audit verification"),
    (
        "audit_verified_within",
        {"days": 7},
        {"audit": AuditEvidence(NOW - timedelta(days=1), True, 10)},
        Status.PASS,
        "10 events",
    ),
    (
        "audit_verified_within",
        {"days": 7},
        {"audit": AuditEvidence(NOW - timedelta(days=30), True)},
        Status.FAIL,
        "30 days ago",
    ),
    (
        "audit_verified_within",
        {"days": 7},
        {"audit": AuditEvidence(NOW, False, detail="event 7 modified")},
        Status.FAIL,
        "event 7 modified",
    ),
    ("redteam_passed_within", {"days": 30}, {}, Status.NOT_ASSESSED, "no red-team runs"),
    (
        "redteam_passed_within",
        {"days": 30},
        {
            "apps": ["bot"],
            "redteam_recorded": True,
            "redteam": [RedteamEvidence("http://x", "bot", True, NOW)],
        },
        Status.PASS,
        "every app",
    ),
    (
        "redteam_passed_within",
        {"days": 30},
        {
            "apps": ["bot", "web"],
            "redteam_recorded": True,
            "redteam": [
                RedteamEvidence("http://x", "bot", True, NOW - timedelta(days=60)),
                RedteamEvidence("http://y", "web", False, NOW),
            ],
        },
        Status.FAIL,
        "2 of 2",
    ),
    ("approval_configured", {}, {"assets": [AGENT_OK]}, Status.PASS, "1 privileged"),
    ("approval_configured", {}, {"assets": [AGENT_OK, AGENT_BAD]}, Status.FAIL, "a2: run_shell"),
    (
        "approval_configured",
        {},
        {"assets": [AGENT_BAD], "gateway": _gateway(approval_tools=frozenset({"run_shell"}))},
        Status.PASS,
        "",
    ),
    ("approval_configured", {}, {"assets": [AGENT_HARMLESS]}, Status.NOT_ASSESSED, "no privileged"),
]
CASES += [(kind, params, ctx, Status(status), why) for kind, params, ctx, status, why in IDENTITY_CASES]


@pytest.mark.parametrize(("kind", "params", "ctx_kwargs", "status", "why"), CASES)
def test_query_kinds(kind, params, ctx_kwargs, status, why):
    kwargs = dict(ctx_kwargs)
    ctx = _ctx(kwargs.pop("assets", ()), kwargs.pop("findings", ()), kwargs.pop("apps", ("app",)), **kwargs)
    outcome = run_query(kind, ctx, params)
    assert outcome.status is status, outcome.why
    assert why in outcome.why or why in " ".join(outcome.failing)
    assert outcome.why  # every result says why


def test_every_query_kind_has_a_pass_fail_and_not_assessed_case():
    seen: dict[str, set[Status]] = {}
    for kind, *_rest, status, _why in CASES:
        seen.setdefault(kind, set()).add(status)
    for kind in query_registry():
        assert seen.get(kind, set()) >= {Status.PASS, Status.FAIL} or kind in (
            "gateway_policy",
            "retention_set",
        )


def test_unknown_query_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown evidence query kind"):
        run_query("no_such_kind", _ctx(), {})


def test_a_query_with_bad_params_is_not_assessed_not_a_crash():
    check = Check(
        id="AIP-POSTURE-999",
        title="t",
        severity="low",
        rationale="r",
        remediation="f",
        evidence=[Query(kind="no_findings", params={"bogus": 1})],
    )
    result = evaluate_check(check, _ctx())
    assert result.status is Status.NOT_ASSESSED
    assert "failed" in result.why


def test_and_of_queries_fails_when_one_fails_and_keeps_partial_credit():
    check = Check(
        id="AIP-POSTURE-998",
        title="t",
        severity="high",
        rationale="r",
        remediation="f",
        evidence=[
            Query(
                kind="asset_property",
                params={"kinds": ["model-file"], "property": "verdict", "expected": ["safe"]},
            ),
            Query(kind="audit_verified_within", params={"days": 7}),
        ],
    )
    result = evaluate_check(
        check, _ctx(assets=[MODEL_SAFE, MODEL_SAFE.model_copy(update={"id": "x"}), MODEL_BAD])
    )
    assert result.status is Status.FAIL
    assert result.pass_fraction == pytest.approx(2 / 3)
