"""`aiposture principals …` and `aiposture audit …` as a user runs them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from aiposture.audit.trail import AuditTrail
from aiposture.cli import app
from aiposture.store.database import Store

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("AIPOSTURE_STATE_DIR", str(tmp_path / "state"))
    db = f"sqlite:///{tmp_path / 'a.db'}"
    store = Store.open(db)
    trail = AuditTrail(store, tmp_path / "state" / "audit_ed25519.key")
    records = [
        {
            "principal": f"p{i % 2}",
            "app": "hr" if i % 2 else "support",
            "model": "gpt-4o-mini",
            "direction": "prompt",
            "time": f"202{0 if i < 4 else 6}-01-0{1 + i % 5}T00:00:00.000000Z",
            "verdict": {
                "action": "block" if i == 5 else "allow",
                "scores": {"secrets": 0.9} if i == 5 else {},
                "detections": [],
            },
            "data": {"route": "/v1/chat/completions", "status": 200},
        }
        for i in range(10)
    ]
    trail.append(records)
    yield db, store
    trail.close()
    store.close()


def test_principals_add_list_disable(tmp_path):
    db = f"sqlite:///{tmp_path / 'p.db'}"
    added = runner.invoke(
        app, ["principals", "add", "support-bot", "--kind", "app", "--db", db, "--format", "json"]
    )
    assert added.exit_code == 0, added.output
    key = json.loads(added.stdout)["key"]
    assert key.startswith("aip_")
    listed = runner.invoke(app, ["principals", "list", "--db", db, "--format", "json"])
    assert [p["name"] for p in json.loads(listed.stdout)] == ["support-bot"] and key not in listed.stdout
    assert runner.invoke(app, ["principals", "disable", "support-bot", "--db", db]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["principals", "list", "--db", db, "--format", "json"]).stdout)
    assert listed[0]["enabled"] is False
    dup = runner.invoke(app, ["principals", "add", "support-bot", "--db", db])
    assert dup.exit_code == 2 and "already exists" in dup.stderr
    bad = runner.invoke(app, ["principals", "add", "x", "--kind", "robot", "--db", db])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_verify_ok_then_tampered(env):
    db, store = env
    ok = runner.invoke(app, ["audit", "verify", "--db", db, "--format", "json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 4"))
    bad = runner.invoke(app, ["audit", "verify", "--db", db])
    assert bad.exit_code == 1 and "seq 4: deleted" in bad.stdout


def test_verify_is_posture_evidence(env):
    from aiposture.store.evidence import AUDIT_VERIFY, latest_evidence

    db, store = env
    assert runner.invoke(app, ["audit", "verify", "--db", db]).exit_code == 0
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    assert runner.invoke(app, ["audit", "verify", "--db", db]).exit_code == 1
    failed, passed = latest_evidence(store, AUDIT_VERIFY)[:2]
    assert (passed.passed, passed.detail["events"]) == (True, 10)
    assert failed.passed is False and failed.detail["error"].startswith("seq 2:")


def test_verify_without_key_is_a_usage_error(env, tmp_path):
    db, _ = env
    result = runner.invoke(app, ["audit", "verify", "--db", db, "--key", str(tmp_path / "missing.key")])
    assert result.exit_code == 2 and "not found" in result.stderr


@pytest.mark.parametrize(
    "fmt, check",
    [
        ("jsonl", lambda line: json.loads(line)["seq"] > 0),
        ("ocsf", lambda line: json.loads(line)["class_uid"] == 6003),
        ("cef", lambda line: line.startswith("CEF:0|aiposture|")),
    ],
)
def test_export(env, tmp_path, fmt, check):
    db, _ = env
    out = tmp_path / f"x.{fmt}"
    result = runner.invoke(app, ["audit", "export", "--format", fmt, "--db", db, "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert len(lines) == 10 and all(check(x) for x in lines)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--principal", "p1"], 5),
        (["--app", "support"], 5),
        (["--detector", "secrets"], 1),
        (["--action", "block"], 1),
        (["--since", "2025-01-01"], 6),
        (["--until", "2025-01-01T00:00:00Z"], 4),
    ],
)
def test_search(env, args, expected):
    db, _ = env
    result = runner.invoke(app, ["audit", "search", *args, "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == expected


def test_search_bad_time(env):
    db, _ = env
    result = runner.invoke(app, ["audit", "search", "--since", "yesterday", "--db", db])
    assert result.exit_code == 2 and "ISO 8601" in result.stderr


def test_search_bad_action(env):
    db, _ = env
    result = runner.invoke(app, ["audit", "search", "--action", "blocked", "--db", db])
    assert result.exit_code == 2 and "one of allow, redact, block, hold" in result.stderr


def test_purge_then_verify(env):
    db, _ = env
    result = runner.invoke(app, ["audit", "purge", "--older-than-days", "365", "--db", db])
    assert result.exit_code == 0 and json.loads(result.stdout)["purged"] == 4
    verify = runner.invoke(app, ["audit", "verify", "--db", db, "--format", "json"])
    report = json.loads(verify.stdout)
    assert verify.exit_code == 0 and report["events"] == 6 and report["anchor_seq"] == 4
