"""`aiposture approvals …` and `aiposture elevation …` as a reviewer and a sponsor run
them: decisions recorded and audited, refusals with a reason and exit 2."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiposture.audit.trail import AuditTrail
from aiposture.cli import app
from aiposture.identity.approvals import Approvals
from aiposture.identity.principals import Principals
from aiposture.store.database import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "identity"))
from webhook_receiver import Receiver  # noqa: E402  (tests/identity)

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("AIPOSTURE_STATE_DIR", str(tmp_path / "state"))
    db = f"sqlite:///{tmp_path / 'a.db'}"
    store = Store.open(db)
    Principals(store).add("ops-bot", "agent", owner="alice", sponsors=["alice", "sam", "carol", "dave"])
    return {"db": db, "store": store, "key": tmp_path / "state" / "audit_ed25519.key"}


def _pending(store, **kw):
    return Approvals(store, **kw).request("ops-bot", "deploy_service", {"service": "api", "token": "sekrit-value-1"},
                                          reason="operations need approval", risk="changes configuration",
                                          timeout_s=300)


def test_list_show_approve_and_audit(env):
    a = _pending(env["store"])
    listed = runner.invoke(app, ["approvals", "list", "--status", "pending", "--db", env["db"], "-f", "json"])
    assert listed.exit_code == 0 and [x["id"] for x in json.loads(listed.output)] == [a.id]
    shown = runner.invoke(app, ["approvals", "show", a.id, "--db", env["db"]])
    assert shown.exit_code == 0 and "deploy_service" in shown.output and "sekrit-value-1" not in shown.output
    done = runner.invoke(app, ["approvals", "approve", a.id, "--as", "carol", "--note", "change CHG-7",
                               "--db", env["db"]])
    assert done.exit_code == 0 and f"{a.id}: approved by carol" in done.output
    again = runner.invoke(app, ["approvals", "deny", a.id, "--as", "dave", "--db", env["db"]])
    assert again.exit_code == 2 and "already approved by carol" in again.output
    trail = AuditTrail(env["store"], env["key"], create_key=False)
    events = [e["data"]["event"] for e in trail.events() if e["direction"] == "approval"]
    assert events == ["approved", "decision refused"]
    assert trail.verify().ok


def test_the_requester_and_strangers_cannot_approve(env):
    a = _pending(env["store"])
    selfish = runner.invoke(app, ["approvals", "approve", a.id, "--as", "ops-bot", "--db", env["db"]])
    assert selfish.exit_code == 2 and "cannot approve its own request" in selfish.output
    stranger = runner.invoke(app, ["approvals", "approve", a.id, "--as", "mallory", "--db", env["db"]])
    assert stranger.exit_code == 2 and "neither an owner or sponsor of 'ops-bot'" in stranger.output
    assert Approvals(env["store"]).get(a.id).status == "pending"


def test_expired_and_unknown_requests_are_refused(env):
    clock_start = datetime.now(UTC) - timedelta(hours=1)
    a = _pending(env["store"], clock=lambda: clock_start)
    result = runner.invoke(app, ["approvals", "approve", a.id, "--as", "carol", "--db", env["db"]])
    assert result.exit_code == 2 and "expired" in result.output and "without an answer (deny)" in result.output
    result = runner.invoke(app, ["approvals", "show", "apr_nope", "--db", env["db"]])
    assert result.exit_code == 2 and "no approval 'apr_nope'" in result.output
    result = runner.invoke(app, ["approvals", "list", "--status", "maybe", "--db", env["db"]])
    assert result.exit_code == 2 and "unknown approval status" in result.output


def test_deny_notifies_the_webhook(env):
    hub = Receiver()
    try:
        a = _pending(env["store"])
        result = runner.invoke(app, ["approvals", "deny", a.id, "--as", "carol", "--webhook", hub.url,
                                     "--webhook-secret", "k", "--db", env["db"]])
        assert result.exit_code == 0, result.output
        assert json.loads(hub.received[0][2])["event"] == "approval.denied"
    finally:
        hub.close()


def test_a_bad_webhook_is_named_as_the_webhook_and_not_echoed(env):
    a = _pending(env["store"])
    result = runner.invoke(app, ["approvals", "approve", a.id, "--as", "carol", "--webhook", "hooks/T0K3N-s3cret",
                                 "--db", env["db"]])
    assert result.exit_code == 2 and "the webhook URL must be an http(s) URL" in result.output
    assert "callback_url" not in result.output and "T0K3N-s3cret" not in result.output
    assert Approvals(env["store"]).get(a.id).status == "pending"


def test_elevation_request_approve_list(env):
    result = runner.invoke(app, ["elevation", "request", "ops-bot", "--scope", "tool:deploy_*", "--minutes", "30",
                                 "--justification", "hotfix", "--db", env["db"], "-f", "json"])
    assert result.exit_code == 0, result.output
    eid = json.loads(result.output)["id"]
    selfish = runner.invoke(app, ["elevation", "approve", eid, "--as", "ops-bot", "--db", env["db"]])
    assert selfish.exit_code == 2 and "cannot decide it" in selfish.output
    stranger = runner.invoke(app, ["elevation", "approve", eid, "--as", "mallory", "--db", env["db"]])
    assert stranger.exit_code == 2 and "not a sponsor of 'ops-bot'" in stranger.output
    ok = runner.invoke(app, ["elevation", "approve", eid, "--as", "sam", "--db", env["db"]])
    assert ok.exit_code == 0 and "approved until" in ok.output
    listed = runner.invoke(app, ["elevation", "list", "--principal", "ops-bot", "--db", env["db"], "-f", "json"])
    assert json.loads(listed.output)[0]["decided_by"] == "sam"
    trail = AuditTrail(env["store"], env["key"], create_key=False)
    events = [e["data"]["event"] for e in trail.events() if e["direction"] == "elevation"]
    assert events == ["requested", "decision refused", "decision refused", "approved"]


@pytest.mark.parametrize("args,message", [
    (["ghost", "--scope", "tool:x", "--minutes", "5", "--justification", "j"], "no principal 'ghost'"),
    (["ops-bot", "--scope", "root", "--minutes", "5", "--justification", "j"], "use tool:<glob>"),
    (["ops-bot", "--scope", "tool:x", "--minutes", "9999", "--justification", "j"], "minutes"),
])
def test_bad_elevation_requests_exit_2(env, args, message):
    result = runner.invoke(app, ["elevation", "request", *args, "--db", env["db"]])
    assert result.exit_code == 2 and message in result.output, result.output
