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
