"""`aiposture policy test|validate` as a user runs them: explained decisions, CI
expectations, and exit 2 with one line for every kind of bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from aiposture.cli import app

runner = CliRunner()
OPS = ["--principal", "ops-bot", "--tools", "deploy_service", "--action", "call_tool",
       "--resource", "deploy_service", "--time", "2026-12-02T10:00:00Z"]


def test_explains_an_allow_held_for_approval():
    result = runner.invoke(app, ["policy", "test", "--principal", "invoice-agent", "--action", "call_tool",
                                 "--resource", "payments/refund", "--arg", "amount=120"])
    assert result.exit_code == 0, result.output
    assert "ALLOW after approval" in result.output
    assert "permitted by invoice-agent-finance: the invoice agent may use the finance tools" in result.output
    assert "needs approval: the tool is high risk (spends money)" in result.output


def test_json_names_the_policy_and_the_context_it_read():
    result = runner.invoke(app, ["policy", "test", *OPS, "--ip", "8.8.8.8", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["outcome"] == "deny" and out["policies"] == ["operations-corporate-network"]
    assert out["context_used"] == {"source_ip": "8.8.8.8"}
    checked = {c["id"]: c["context"] for c in out["not_forbidden_by"]}
    assert checked["operations-business-hours"] == {"hour": 10, "weekday": 3}
    assert "operations-corporate-network" not in checked


@pytest.mark.parametrize("extra,code", [
    (["--ip", "10.0.0.1", "--expect", "approval"], 0),
    (["--ip", "10.0.0.1", "--expect", "allow"], 1),
    (["--ip", "8.8.8.8", "--fail-on-deny"], 1),
    (["--ip", "8.8.8.8"], 0),
])
def test_expectations_and_fail_on_deny_gate(extra, code):
    result = runner.invoke(app, ["policy", "test", *OPS, *extra])
    assert result.exit_code == code, result.output


def test_a_request_file_of_cases_is_a_policy_test_suite(tmp_path):
    cases = [
        {"name": "risky user", "principal": {"name": "bob", "kind": "user"}, "action": "invoke_model",
         "resource": "gpt-4o", "context": {"terms_accepted": True, "user_risk": "high"}, "expect": "deny"},
        {"name": "ok user", "principal": {"name": "bob", "kind": "user"}, "action": "invoke_model",
         "resource": "gpt-4o", "context": {"terms_accepted": True}, "expect": "allow"},
    ]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    result = runner.invoke(app, ["policy", "test", "-r", str(path), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert [r["outcome"] for r in json.loads(result.output)] == ["deny", "allow"]
    cases[1]["expect"] = "deny"
    path.write_text(json.dumps(cases))
    result = runner.invoke(app, ["policy", "test", "-r", str(path)])
    assert result.exit_code == 1 and "expected deny, got allow" in result.output


@pytest.mark.parametrize("content,message", [
    ("{", "not JSON"),
    ("[1]", "a request is a JSON object"),
    ('{"principal": {"name": "x"}, "action": "fly", "resource": "r"}', "action"),
    ("[]", "no requests"),
    ('{"principal": {"name": "x", "kind": "robot"}, "action": "call_tool", "resource": "r"}', "principal.kind"),
    ('{"principal": {"name": "x"}, "action": "call_tool", "resource": "r", "colour": 1}', "colour"),
    ('{"principal": {"name": "x"}, "action": "call_tool", "resource": "r", "context": {"source_ip": "nope"}}',
     "not an IP address"),
    ('{"principal": {"name": "x"}, "action": "call_tool", "resource": "r", "arguments": {"amount": "many"}}',
     "must be a number"),
])
def test_bad_request_files_exit_2_with_one_line(tmp_path, content, message):
    path = tmp_path / "r.json"
    path.write_text(content)
    result = runner.invoke(app, ["policy", "test", "-r", str(path)])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args,message", [
    (["--action", "call_tool"], "give --request FILE"),
    (["--principal", "a", "--action", "call_tool", "--resource", "t", "--arg", "novalue"], "write KEY=VALUE"),
    (["--principal", "a", "--action", "call_tool", "--resource", "t", "--expect", "maybe"], "--expect"),
    (["--principal", "a", "--action", "call_tool", "--resource", "t", "--user-risk", "extreme"], "user_risk"),
    (["-r", "/nonexistent/r.json"], "no such file"),
    (["-r", "src"], "src: is a directory"),
])
def test_bad_flags_exit_2(args, message):
    result = runner.invoke(app, ["policy", "test", *args])
    assert result.exit_code == 2 and message in result.output, result.output


def test_binary_and_huge_request_files_are_refused(tmp_path):
    path = tmp_path / "b.json"
    path.write_bytes(b"\xff\xfe\x00\x01")
    assert "not UTF-8" in runner.invoke(app, ["policy", "test", "-r", str(path)]).output
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = runner.invoke(app, ["policy", "test", "-r", str(path)])
    assert result.exit_code == 2 and "nested too deeply" in result.output


def test_validate_a_folder(tmp_path):
    result = runner.invoke(app, ["policy", "validate", "src/aiposture/data/identity/policies"])
    assert result.exit_code == 0 and "15 policies in 3 files" in result.output
    (tmp_path / "x.cedar").write_text('@id("x")\npermit (principal, action, resource) when { context.nope };')
    result = runner.invoke(app, ["policy", "validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "x.cedar: policy 'x' does not validate against the schema" in result.output


def test_policy_test_against_another_folder_and_the_registry(tmp_path, monkeypatch):
    from aiposture.identity.principals import Principals
    from aiposture.store.database import Store

    db = f"sqlite:///{tmp_path / 'r.db'}"
    Principals(Store.open(db)).add("kb-agent", "agent", tools=["search_kb"], sponsors=["alice"], owner="alice")
    args = ["policy", "test", "--principal", "kb-agent", "--registry", "--db", db, "--action", "call_tool",
            "--resource", "search_kb", "-f", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["policies"] == ["tools-registry"]
    (tmp_path / "deny.cedar").write_text('@id("nothing")\nforbid (principal, action, resource);')
    result = runner.invoke(app, [*args, "--policies", str(tmp_path)])
    assert json.loads(result.output)["policies"] == ["nothing"]
    result = runner.invoke(app, [*args[:2], "--principal", "ghost", *args[4:]])
    assert result.exit_code == 2 and "no principal 'ghost'" in result.output


def test_argument_values_that_hold_a_secret_are_masked_in_the_explanation(tmp_path):
    (tmp_path / "p.cedar").write_text('@id("no-rm")\nforbid (principal, action, resource) when '
                                      '{ context.arguments has command && context.arguments.command like "*rm -rf*" };')
    secret = "ghp_R8d2kP0qLm3Nx7Vb1Zc9Yt4Ws6Qa5Ej8Hu2F"
    for fmt in ("table", "json"):
        result = runner.invoke(app, ["policy", "test", "--policies", str(tmp_path), "--principal", "a",
                                     "--action", "call_tool", "--resource", "shell",
                                     "--arg", f"command=GH={secret} rm -rf /", "-f", fmt])
        assert result.exit_code == 0 and "no-rm" in result.output
        assert secret not in result.output and "arguments.command" in result.output


END_USER_POLICIES = """
@id("search")
permit (principal, action == Action::"call_tool", resource == Tool::"search_kb");

@id("risky-end-user")
@reason("the end user's risk level is high")
forbid (principal, action, resource) when { context.user_risk == "high" };

@id("terms")
@reason("the end user has not accepted the AI terms of use")
forbid (principal, action, resource) when { (principal is User || context.delegated) && !context.terms_accepted };
"""


@pytest.mark.parametrize("who,extra,outcome,policies", [
    # the end user's own record decides, as at the gateway, over what the flags say
    (["--principal", "kb-agent", "--on-behalf-of", "dana"], ["--terms-accepted"], "deny", ["risky-end-user"]),
    (["--principal", "kb-agent", "--on-behalf-of", "dana"], ["--user-risk", "low"], "deny", ["risky-end-user"]),
    (["--principal", "kb-agent", "--on-behalf-of", "erin"], [], "allow", ["search"]),
    (["--principal", "kb-agent", "--on-behalf-of", "erin"], ["--user-risk", "high"], "allow", ["search"]),
    # a record without these attributes, or no record: the flags stand
    (["--principal", "kb-agent", "--on-behalf-of", "gus"], [], "deny", ["terms"]),
    (["--principal", "kb-agent", "--on-behalf-of", "gus"], ["--terms-accepted"], "allow", ["search"]),
    (["--principal", "kb-agent", "--on-behalf-of", "ghost"], ["--terms-accepted"], "allow", ["search"]),
    # a user calling for itself is its own end user
    (["--principal", "erin", "--kind", "user"], [], "allow", ["search"]),
    (["--principal", "dana", "--kind", "user"], ["--terms-accepted"], "deny", ["risky-end-user"]),
])
def test_registry_reads_the_end_users_own_record(tmp_path, who, extra, outcome, policies):
    from aiposture.identity.principals import Principals
    from aiposture.store.database import Store

    db = f"sqlite:///{tmp_path / 'r.db'}"
    registry = Principals(Store.open(db))
    registry.add("kb-agent", "agent", owner="alice")
    registry.add("dana", "user", attributes={"user_risk": "high", "terms_accepted": True})
    registry.add("erin", "user", attributes={"user_risk": "low", "terms_accepted": "true"})
    registry.add("gus", "user", attributes={"department": "finance"})
    (tmp_path / "pol").mkdir()
    (tmp_path / "pol" / "p.cedar").write_text(END_USER_POLICIES)
    result = runner.invoke(app, ["policy", "test", *who, "--registry", "--db", db, "--policies", str(tmp_path / "pol"),
                                 "--action", "call_tool", "--resource", "search_kb", *extra, "-f", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["outcome"], out["policies"]) == (outcome, policies)


def test_registry_end_user_records_apply_to_each_request_of_a_file(tmp_path):
    from aiposture.identity.principals import Principals
    from aiposture.store.database import Store

    db = f"sqlite:///{tmp_path / 'r.db'}"
    registry = Principals(Store.open(db))
    registry.add("kb-agent", "agent", owner="alice")
    registry.add("dana", "user", attributes={"user_risk": "high", "terms_accepted": True})
    (tmp_path / "pol").mkdir()
    (tmp_path / "pol" / "p.cedar").write_text(END_USER_POLICIES)
    base = {"principal": {"name": "kb-agent"}, "action": "call_tool", "resource": "search_kb"}
    (tmp_path / "r.json").write_text(json.dumps([
        {**base, "context": {"on_behalf_of": "dana", "terms_accepted": True}, "expect": "deny"},
        {**base, "context": {"terms_accepted": True}, "expect": "allow"},
    ]))
    result = runner.invoke(app, ["policy", "test", "--request", str(tmp_path / "r.json"), "--registry", "--db", db,
                                 "--policies", str(tmp_path / "pol"), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert [r["policies"] for r in json.loads(result.output)] == [["risky-end-user"], ["search"]]
