"""`aiposture redteam` end to end through the CLI: formats, the ASR gate (exit 1),
and bad input (exit 2, one line on stderr, no traceback)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from aiposture.cli import app

from .conftest import free_port

SAMPLE = "aiposture.redteam.sample_target:chat"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["redteam", *args])


def test_run_json_against_the_callable(db_url, tmp_path):
    out = tmp_path / "r.json"
    result = invoke(
        "run",
        "--target",
        SAMPLE,
        "--probes",
        "leakage,jailbreak.persona",
        "--format",
        "json",
        "-o",
        str(out),
        "--db",
        db_url,
        "--seed",
        "3",
    )
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text())
    assert {p["probe"] for p in body["probes"]} == {
        "leakage.system_prompt",
        "leakage.sensitive_records",
        "jailbreak.persona",
    }


@pytest.mark.parametrize(
    "gate,code", [("0.1", 1), ("jailbreak=0.2", 1), ("1.0", 0), ("harmful_content=0", 0)]
)
def test_fail_on_asr_exit_codes(db_url, gate, code):
    result = invoke(
        "run",
        "--target",
        SAMPLE,
        "--probes",
        "jailbreak.persona,harmful.hate",
        "--format",
        "junit",
        "--db",
        db_url,
        "--fail-on-asr",
        gate,
    )
    assert result.exit_code == code, result.output
    assert "<testsuites" in result.stdout


@pytest.mark.parametrize("fmt", ["table", "sarif", "html"])
def test_formats(db_url, fmt):
    result = invoke("run", "--target", SAMPLE, "--probes", "indirect", "--format", fmt, "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "indirect.email" in result.stdout


def test_resume_a_finished_run_sends_nothing_new(db_url):
    first = invoke("run", "--target", SAMPLE, "--probes", "leakage", "--format", "json", "--db", db_url)
    run_id = json.loads(first.stdout)["run_id"]
    again = invoke("run", "--resume", run_id, "--format", "json", "--db", db_url)
    assert again.exit_code == 0, again.output
    body = json.loads(again.stdout)
    assert body["run_id"] == run_id and body["requests"] == 1  # only the preflight


def _bad(*args):
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


def test_malformed_target_yaml(tmp_path, db_url):
    bad = tmp_path / "t.yaml"
    bad.write_text("target: {type: openai\n")
    assert "not valid YAML" in _bad("run", "--target", str(bad), "--db", db_url)


def test_unknown_target_field(tmp_path, db_url):
    bad = tmp_path / "t.yaml"
    bad.write_text("target: {type: http, url: 'http://127.0.0.1:9'}\n")  # no body / response_path
    assert "error" in _bad("run", "--target", str(bad), "--db", db_url)


def test_unreachable_target(db_url):
    out = _bad(
        "run",
        "--target",
        f"http://127.0.0.1:{free_port()}/v1",
        "--db",
        db_url,
        "--retries",
        "0",
        "--timeout",
        "2",
    )
    assert "unreachable" in out


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--probes", "no.such"], "no probe matches"),
        (["--converters", "nosuch"], "unknown converter"),
        (["--strategy", "nosuch"], "unknown strateg"),
        (["--format", "pdf"], "--format"),
        (["--fail-on-asr", "jailbreak=x"], "not a number"),
    ],
)
def test_bad_options(db_url, args, needle):
    assert needle in _bad("run", "--target", SAMPLE, "--db", db_url, *args)


def test_missing_target_and_unknown_resume(db_url):
    assert "--target" in _bad("run", "--db", db_url)
    assert "no red-team run" in _bad("run", "--resume", "rt-nope", "--db", db_url)


@pytest.mark.parametrize("kind", ["probes", "converters", "scorers", "strategies", "targets", "reports"])
def test_list(kind):
    result = invoke("list", kind, "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)


def test_list_unknown_kind():
    _bad("list", "gizmos")


def test_a_run_is_posture_evidence_for_its_app(db_url):
    from aiposture.store.database import Store
    from aiposture.store.evidence import REDTEAM_RUN, latest_evidence

    weak = invoke("run", "--target", SAMPLE, "--probes", "leakage", "--app", "apps/support-copilot",
                  "--format", "json", "--db", db_url)
    assert weak.exit_code == 0, weak.output
    gated = invoke("run", "--target", SAMPLE, "--probes", "leakage", "--fail-on-asr", "1.0",
                   "--format", "json", "--db", db_url)
    assert gated.exit_code == 0, gated.output
    store = Store.open(db_url)
    rows = latest_evidence(store, REDTEAM_RUN)
    store.close()
    newest, older = rows[0], rows[1]
    # a gate that held is a pass even at a high success rate; without a gate, > 5% fails
    assert (newest.subject, newest.passed) == (SAMPLE, True)
    assert (older.subject, older.passed, older.detail["app"]) == ("apps/support-copilot", False,
                                                                  "apps/support-copilot")
    assert older.detail["success_rate"] > 0.05
