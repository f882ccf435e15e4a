"""`aiposture principals …` (governed identities) and `aiposture tokens …` as a user runs them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from aiposture.audit.chain import utc_now_text
from aiposture.audit.trail import AuditTrail, default_key_path
from aiposture.cli import app
from aiposture.gateway.auth import build_tokens
from aiposture.gateway.config import TokenSettings
from aiposture.identity.tokens import TokenError
from aiposture.store.database import Store

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    state = tmp_path / "state"
    monkeypatch.setenv("AIPOSTURE_STATE_DIR", str(state))
    db = f"sqlite:///{tmp_path / 'id.db'}"
    return db, state


def _run(*args, ok=True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


def _tokens(db, state):
    store = Store.open(db)
    return store, build_tokens(TokenSettings(), state, store)


def test_add_with_blueprint_show_and_attest(env):
    db, state = env
    added = _run("principals", "add", "support-1", "--blueprint", "support-agent", "--owner", "alice@contoso.com",
                 "--sponsor", "bob", "--sponsor", "carol", "--attr", "cost_center=4711", "--attr", "pilot=true",
                 "--expires", "2099-01-31", "--db", db, "--format", "json")
    data = json.loads(added.stdout)
    assert data["kind"] == "agent" and data["blueprint"] == "support-agent" and data["status"] == "active"
    assert data["sponsors"] == ["bob", "carol"] and "search_kb" in data["tools"]
    assert data["attributes"]["cost_center"] == 4711 and data["attributes"]["pilot"] is True
    assert data["attest_every_days"] == 90 and data["expires"].startswith("2099-01-31")
    trail = AuditTrail(Store.open(db), default_key_path(state))
    trail.append([{"time": utc_now_text(), "principal": "support-1", "model": "gpt-4o-mini", "direction": "prompt",
                   "verdict": {"action": "allow"}, "data": {"route": "/v1/chat/completions", "status": 200}}])
    trail.close()
    assert _run("principals", "attest", "support-1", "--by", "bob", "--note", "quarterly", "--db", db)
    shown = json.loads(_run("principals", "show", "support-1", "--db", db, "--format", "json").stdout)
    assert [e["event"] for e in shown["lifecycle"]] == ["attested", "created"]
    assert shown["activity"][0]["model"] == "gpt-4o-mini" and shown["activity_note"] is None
    table = _run("principals", "show", "support-1", "--db", db).stdout
    assert "alice@contoso.com" in table and "attested" in table and "gpt-4o-mini" in table
    listed = json.loads(_run("principals", "list", "--db", db, "--format", "json").stdout)
    assert [(p["name"], p["status"]) for p in listed] == [("support-1", "active")]
    assert data["key"] not in _run("principals", "list", "--db", db).stdout + json.dumps(listed)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--expires", "next tuesday"], "not a date"),
        (["--expires", "2001-01-01"], "in the past"),
        (["--attest-every", "0"], "attest-every"),
        (["--attr", "novalue"], "KEY=VALUE"),
        (["--blueprint", "nope"], "no blueprint"),
        (["--tool", "bad tool"], "tool pattern"),
        (["--kind", "robot"], "invalid principal kind"),
    ],
)
def test_add_bad_input(env, args, message):
    db, _ = env
    result = _run("principals", "add", "x1", *args, "--db", db, ok=False)
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


def test_add_refuses_a_look_alike_of_an_existing_name_in_one_line(env):
    db, _ = env
    _run("principals", "add", "Old_Bot", "--db", db)
    result = _run("principals", "add", "old-bot", "--db", db, ok=False)
    assert result.exit_code == 2 and "'Old_Bot'" in result.stderr and result.stderr.count("\n") == 1
    assert [p["name"] for p in json.loads(_run("principals", "list", "--db", db, "--format", "json").stdout)] == [
        "Old_Bot"]


def test_attest_by_stranger_refused(env):
    db, _ = env
    _run("principals", "add", "a1", "--kind", "agent", "--owner", "alice", "--db", db)
    result = _run("principals", "attest", "a1", "--by", "mallory", "--db", db, ok=False)
    assert result.exit_code == 2 and "only its owner or a sponsor" in result.stderr
    missing = _run("principals", "show", "ghost", "--db", db, ok=False)
    assert missing.exit_code == 2 and "no principal" in missing.stderr


def test_tokens_issue_revoke_and_disable(env):
    db, state = env
    _run("principals", "add", "agent-1", "--kind", "agent", "--model", "gpt-*", "--tool", "search_kb", "--db", db)
    issued = json.loads(_run("tokens", "issue", "agent-1", "--scope", "model:gpt-4o", "--db", db,
                             "--format", "json").stdout)
    assert issued["scope"] == "model:gpt-4o" and issued["expires_in"] == 900
    store, tokens = _tokens(db, state)
    assert tokens.verify(issued["access_token"]).scope == ("model:gpt-4o",)
    _run("tokens", "revoke", "--jti", issued["jti"], "--reason", "leaked", "--db", db)
    with pytest.raises(TokenError) as err:
        tokens.verify(issued["access_token"])
    assert err.value.reason == "revoked"
    plain = _run("tokens", "issue", "agent-1", "--db", db).stdout.strip()
    assert tokens.verify(plain).scope == ("model:gpt-*", "tool:search_kb")
    _run("principals", "disable", "agent-1", "--reason", "incident", "--db", db)
    with pytest.raises(TokenError, match="revoked"):
        tokens.verify(plain)
    refused = _run("tokens", "issue", "agent-1", "--db", db, ok=False)
    assert refused.exit_code == 2 and "disabled" in refused.stderr
    revocations = json.loads(_run("tokens", "revocations", "--db", db, "--format", "json").stdout)
    assert {r["key"] for r in revocations} == {f"jti:{issued['jti']}", "sub:agent-1"}
    events = [e for e in AuditTrail(store, default_key_path(state)).events() if e["direction"] == "token"]
    assert [e["data"]["event"] for e in events] == ["token_issued", "token_revoked", "token_issued"]
    assert issued["access_token"] not in json.dumps(events)


@pytest.mark.parametrize(
    "args, message",
    [
        (["tokens", "issue", "ghost"], "no principal"),
        (["tokens", "issue", "agent-1", "--scope", "model:*"], "scope not held"),
        (["tokens", "issue", "agent-1", "--scope", "root"], "is not 'model:"),
        (["tokens", "issue", "agent-1", "--ttl", "999999"], "lifetime"),
        (["tokens", "revoke"], "exactly one"),
        (["tokens", "revoke", "--jti", "a", "--principal", "b"], "exactly one"),
        (["tokens", "revoke", "--jti", ""], "--jti must not be empty"),
        (["tokens", "revoke", "--principal", " "], "--principal must not be empty"),
        (["tokens", "revoke", "--principal", "ghost"], "no principal 'ghost'"),
    ],
)
def test_tokens_bad_input(env, args, message):
    db, _ = env
    _run("principals", "add", "agent-1", "--kind", "agent", "--model", "gpt-*", "--db", db)
    result = _run(*args, "--db", db, ok=False)
    assert result.exit_code == 2 and message in result.stderr
    assert _run("tokens", "revocations", "--db", db, "--format", "json").stdout.strip() == "[]"


def test_revoking_an_unregistered_principal_fails_in_one_line(env):
    db, state = env
    result = _run("tokens", "revoke", "--principal", "agent-l", "--db", db, ok=False)
    assert result.exit_code == 2 and result.stderr.strip() == "error: no principal 'agent-l'"
    store, _ = _tokens(db, state)
    assert not [e for e in AuditTrail(store, default_key_path(state)).events() if e["direction"] == "token"]


def test_keys_rotate_and_list(env):
    db, state = env
    first = json.loads(_run("tokens", "keys", "list", "--db", db, "--format", "json").stdout)
    assert len(first) == 1 and first[0]["status"] == "active"
    new_kid = _run("tokens", "keys", "rotate", "--db", db).stdout.strip()
    keys = json.loads(_run("tokens", "keys", "list", "--db", db, "--format", "json").stdout)
    assert {k["kid"]: k["status"] for k in keys} == {first[0]["kid"]: "retired", new_kid: "active"}
    assert "PRIVATE" not in _run("tokens", "keys", "list", "--db", db).stdout
    _, tokens = _tokens(db, state)
    assert tokens.keys.active.kid == new_kid


def test_rotate_revokes_outstanding_tokens(env):
    db, state = env
    _run("principals", "add", "agent-2", "--kind", "agent", "--db", db)
    token = _run("tokens", "issue", "agent-2", "--db", db).stdout.strip()
    new_key = _run("principals", "rotate", "agent-2", "--by", "alice", "--db", db).stdout.strip()
    assert new_key.startswith("aip_")
    _, tokens = _tokens(db, state)
    with pytest.raises(TokenError, match="revoked"):
        tokens.verify(token)
