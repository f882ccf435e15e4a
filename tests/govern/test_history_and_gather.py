"""Stored posture per run and its trend; evidence gathered from policy files and the
evidence log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from govern_estates import scan

from aiposture.govern.evidence import Evidence
from aiposture.govern.gather import gather_evidence
from aiposture.govern.history import history, latest_report, save_posture
from aiposture.govern.posture import assess_posture
from aiposture.store import Store
from aiposture.store.evidence import AUDIT_VERIFY, REDTEAM_RUN, record_evidence


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    else:
        url = request.getfixturevalue("pg_schema_url")
    s = Store.open(url)
    yield s
    s.close()


def _run(store, support, run_id, day):
    result = support.model_copy(deep=True)
    result.run = result.run.model_copy(update={"id": run_id, "started": datetime(2026, 1, day, tzinfo=UTC)})
    report = assess_posture(result, Evidence())
    store.save_scan(result)
    save_posture(store, report)
    return report


def test_posture_is_stored_per_run_with_history(store, support_estate):
    first = _run(store, support_estate, "run-a", 1)
    _run(store, support_estate, "run-b", 2)
    points = history(store, "/estate")
    assert [p.run for p in points] == ["run-a", "run-b"]
    assert points[0].score == first.score.score
    latest = latest_report(store)
    assert latest is not None and latest.run.id == "run-b"
    assert latest.score == first.score and latest.attack_paths == first.attack_paths
    assert latest_report(store, run_id="run-a").run.id == "run-a"
    assert latest_report(store, target="/elsewhere") is None


def test_gateway_policy_files_are_found_and_read(tmp_path):
    (tmp_path / "gateway").mkdir()
    (tmp_path / "gateway" / "gateway.yaml").write_text(
        "upstreams:\n  - {name: openai, base_url: https://api.openai.com/v1}\npolicy: policy.yaml\n"
    )
    (tmp_path / "gateway" / "policy.yaml").write_text(
        "approved_models: [gpt-4o-mini]\nretention_days: 180\n"
        "apps:\n  support-bot: {content_logging: none, detectors: {injection: {action: block}}}\n"
        "principals:\n  ops-bot: {models: ['*']}\napprovals:\n  tools: [send_email]\n"
    )
    ev = gather_evidence(tmp_path)
    gw = ev.gateway
    assert gw is not None and gw.source.endswith("policy.yaml")
    assert gw.apps == {"support-bot", "ops-bot"}
    assert gw.approved_models == {"gpt-4o-mini"} and gw.approval_tools == {"send_email"}
    assert gw.retention_days == 180 and gw.raw["content_logging"] == "none"
    assert gw.raw["injection_action"] == "block"


@pytest.mark.parametrize("content", ["{{{{ not yaml", "- a list\n- not a mapping\n", "\x00\x01binary"])
def test_broken_policy_files_are_ignored_with_a_note(tmp_path, content):
    (tmp_path / "policy.yaml").write_text(content)
    notes: list[str] = []
    ev = gather_evidence(tmp_path, notes=notes)
    assert ev.gateway is None
    # a file that parsed to a list or a string was dropped without the note (say /etc/passwd
    # given as --approved-models silently left the approved list to the gateway policy)
    assert len(notes) == 1 and "policy.yaml" in notes[0] and notes[0].endswith("ignored")


def test_evidence_log_feeds_audit_and_redteam(store, tmp_path):
    now = datetime.now(UTC)
    record_evidence(store, AUDIT_VERIFY, "audit", True, {"events": 42}, at=now - timedelta(days=2))
    record_evidence(
        store, REDTEAM_RUN, "support-bot", True, {"target": "http://x", "app": "support-bot"}, at=now
    )
    ev = gather_evidence(tmp_path, store)
    assert ev.audit is not None and ev.audit.ok and ev.audit.events == 42
    assert ev.redteam_recorded and ev.redteam[0].app == "support-bot"


def test_no_state_means_not_assessed_sources(store, tmp_path):
    ev = gather_evidence(tmp_path, store)
    assert ev.audit is None and not ev.redteam_recorded and ev.gateway is None and ev.approved_models is None


def test_approved_model_registry_file(tmp_path):
    (tmp_path / "approved-models.yaml").write_text(
        "models:\n  - {name: gpt-4o}\n  - {sha256: ABC}\n  - llama3\n"
    )
    reg = gather_evidence(tmp_path).approved_models
    assert reg.names == {"gpt-4o", "llama3"} and reg.sha256 == {"abc"}


def test_a_scan_with_nothing_scores_zero_without_crashing():
    report = assess_posture(scan([]), Evidence())
    assert report.score.score == 0.0 and report.apps == [] and report.attack_paths == []


def test_finished_red_team_runs_are_read_from_their_tables(store, tmp_path):
    from aiposture.store.tables_redteam import RedteamRunRow

    now = datetime.now(UTC)
    with store.session() as s:
        s.add(
            RedteamRunRow(
                id="rt1",
                target="openai:http://127.0.0.1:8788/v1",
                status="finished",
                started=now,
                finished=now,
                config={},
                summary={"asr": 0.0, "attempts": 40},
            )
        )
        s.add(
            RedteamRunRow(
                id="rt2", target="x", status="interrupted", started=now, finished=None, config={}, summary={}
            )
        )
    ev = gather_evidence(tmp_path, store)
    assert ev.redteam_recorded
    (run,) = ev.redteam
    assert run.passed is None and run.success_rate == 0.0 and run.passed_at(0.05)
