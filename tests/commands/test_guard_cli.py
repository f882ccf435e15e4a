"""`aiposture guard scan`: JSONL in, one verdict per line out in order; bad lines
reported by number while the rest is processed; large inputs in parallel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aiposture import guard_stream
from aiposture.cli import app

GITHUB = "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"


@pytest.fixture()
def policy(tmp_path: Path) -> Path:
    """A policy over the pattern detectors only (independent of the injection model)."""
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({
        "id": "test", "detectors": {"secrets": {}, "pii": {}, "invisible": {}, "unsafe_output": {}},
        "rules": [{"id": "block-secrets", "detector": "secrets", "action": "block"},
                  {"id": "redact-pii", "detector": "pii", "action": "redact"},
                  {"id": "block-unsafe", "detector": "unsafe_output", "action": "block"}],
    }), encoding="utf-8")
    return path


def run(args: list[str], data: bytes):
    return CliRunner().invoke(app, ["guard", "scan", *args], input=data)


def lines_of(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_verdict_per_line_in_order(policy: Path) -> None:
    data = "".join(json.dumps(r) + "\n" for r in [
        {"id": "a", "text": "hello"},
        {"id": "b", "text": f"token {GITHUB}"},
        {"id": 3, "text": "mail jane@contoso.com"},
        {"id": "d", "text": "<script>x()</script>", "direction": "response"},
    ]).encode()
    result = run(["--policy", str(policy)], data)
    assert result.exit_code == 0, result.output
    out = lines_of(result.stdout)
    assert [(o["id"], o["action"]) for o in out] == [("a", "allow"), ("b", "block"), (3, "redact"),
                                                     ("d", "block")]
    assert out[2]["redacted"] == "mail <EMAIL_ADDRESS_1>" and GITHUB not in result.stdout
    assert set(out[0]) == {"id", "action", "risk", "scores", "detections", "redacted", "policy", "reason"}


def test_direction_flag(policy: Path) -> None:
    data = b'{"id": 1, "text": "<script>x()</script>"}\n'
    assert lines_of(run(["--policy", str(policy)], data).stdout)[0]["action"] == "allow"
    out = run(["--policy", str(policy), "--direction", "response"], data).stdout
    assert lines_of(out)[0]["action"] == "block"


def test_bad_lines_reported_rest_processed(policy: Path) -> None:
    data = b"\n".join([
        b'{"id": 1, "text": "ok"}',
        b"{not json",
        b'{"id": 3, "text": "caf\xc3"}',  # truncated UTF-8
        b'["a", "list"]',
        b'{"id": 5}',
        b"",
        b'{"id": 7, "text": "mail jane@contoso.com"}',
    ]) + b"\n"
    result = run(["--policy", str(policy)], data)
    assert result.exit_code == 2
    out = lines_of(result.stdout)
    assert [o.get("action") or o["error"].split(":")[0] for o in out] == [
        "allow", "malformed JSON", "invalid UTF-8 at byte 22", "expected a JSON object with 'id' and 'text'",
        "missing string field 'text'", "redact"]
    assert [o.get("line") for o in out if "error" in o] == [2, 3, 4, 5]
    for n in (2, 3, 4, 5):
        assert f"line {n}:" in result.stderr


def test_empty_input_and_file_input(policy: Path, tmp_path: Path) -> None:
    empty = run(["--policy", str(policy)], b"")
    assert empty.exit_code == 0 and empty.stdout == ""
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "x"}\n', encoding="utf-8")
    out = tmp_path / "out" / "v.jsonl"
    result = run(["--policy", str(policy), "--input", str(src), "-o", str(out)], b"")
    assert result.exit_code == 0 and lines_of(out.read_text())[0]["id"] == 1


def test_a_byte_order_mark_and_crlf_from_windows_tools_are_read(policy: Path, tmp_path: Path) -> None:
    # a file saved with a UTF-8 BOM had its first line rejected as "malformed JSON: Unexpected UTF-8 BOM"
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'\xef\xbb\xbf{"id": 1, "text": "hello"}\r\n{"id": 2, "text": "hi"}\r\n')
    result = run(["--policy", str(policy), "--input", str(src)], b"")
    assert result.exit_code == 0, result.output
    assert [(o["id"], o["action"]) for o in lines_of(result.stdout)] == [(1, "allow"), (2, "allow")]


def test_huge_text_gets_a_clear_verdict(policy: Path) -> None:
    data = json.dumps({"id": "big", "text": "a" * 10_000_001}).encode() + b"\n"
    (verdict,) = lines_of(run(["--policy", str(policy)], data).stdout)
    assert verdict["action"] == "block" and verdict["policy"] == "guard.oversize"


def test_fail_on_gate(policy: Path) -> None:
    data = json.dumps({"id": 1, "text": f"key {GITHUB}"}).encode() + b"\n"
    assert run(["--policy", str(policy), "--fail-on", "block"], data).exit_code == 1
    assert run(["--policy", str(policy), "--fail-on", "block"], b'{"id":1,"text":"hi"}\n').exit_code == 0


def test_missing_input_and_bad_policy(policy: Path, tmp_path: Path) -> None:
    missing = run(["--input", str(tmp_path / "nope.jsonl"), "--policy", str(policy)], b"")
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: 3", encoding="utf-8")
    result = run(["--policy", str(bad)], b"")
    assert result.exit_code == 2 and "invalid policy" in result.stderr and "Traceback" not in result.output


def test_large_input_runs_in_parallel_and_keeps_order(policy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard_stream, "PARALLEL_MIN_LINES", 50)
    monkeypatch.setattr(guard_stream, "CHUNK_LINES", 7)
    rows = [{"id": i, "text": f"user{i}@contoso.com" if i % 3 else f"plain {i}"} for i in range(300)]
    data = "".join(json.dumps(r) + "\n" for r in rows).encode() + b"oops\n"
    result = run(["--policy", str(policy), "--workers", "2"], data)
    out = lines_of(result.stdout)
    assert [o.get("id") for o in out[:300]] == list(range(300))
    assert [o["action"] for o in out[:6]] == ["allow", "redact", "redact", "allow", "redact", "redact"]
    assert out[300]["line"] == 301 and result.exit_code == 2


def test_hash_values_then_scan_finds_them_without_clear_values(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODENAME_SALT", "pepper")
    made = CliRunner().invoke(app, ["guard", "hash-values", "--id", "CUSTOM-CODENAMES", "--type",
                                    "PROJECT_CODENAME", "--salt-env", "CODENAME_SALT"],
                              input="Project Obsidian\nBluefin\n")
    assert made.exit_code == 0 and "obsidian" not in made.stdout.lower()
    (tmp_path / "custom.yaml").write_text(made.stdout, encoding="utf-8")
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({
        "id": "t", "detectors": {"custom": {"path": "custom.yaml"}},
        "rules": [{"id": "redact-custom", "detector": "custom", "action": "redact"}]}), encoding="utf-8")
    out = lines_of(run(["--policy", str(tmp_path / "p.yaml")],
                       b'{"id": 1, "text": "status of project obsidian?"}\n').stdout)
    assert out[0]["redacted"] == "status of <PROJECT_CODENAME_1>?"


def test_negative_workers_is_bad_usage(policy: Path) -> None:
    # accepted for small inputs; a large one failed later with multiprocessing's "Number of processes
    # must be at least 1", which does not name the option
    result = run(["--policy", str(policy), "--workers", "-3"], b'{"id": 1, "text": "x"}\n')
    assert result.exit_code == 2 and "--workers" in result.output


@pytest.mark.parametrize("parallel", [False, True])
def test_every_bad_line_record_has_its_line_and_the_id_where_readable(policy: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     parallel: bool) -> None:
    # a non-UTF-8 line said {"id": null} though its id was readable, unlike a line missing 'text'
    if parallel:
        monkeypatch.setattr(guard_stream, "PARALLEL_MIN_LINES", 4)
        monkeypatch.setattr(guard_stream, "CHUNK_LINES", 2)
    data = b"\n".join([
        b'{"id": "a", "text": "caf\xe9"}',  # Latin-1, not UTF-8
        b'{"id": "b\xe9", "text": "x"}',  # the bad byte is in the id itself
        b'{"id": 3, "text": "\xff", ',  # not UTF-8 and not JSON either
        b'{"id": {"k": 1}, "text": "x", "direction": "up"}',
        b'{"id": "e"}',
    ]) + b"\n"
    result = run(["--policy", str(policy), "--workers", "2"], data)
    out = lines_of(result.stdout)
    assert all(set(o) == {"id", "line", "error"} for o in out), out
    assert [(o["line"], o["id"]) for o in out] == [(1, "a"), (2, None), (3, None), (4, None), (5, "e")]
    assert result.exit_code == 2 and all(f"line {n}:" in result.stderr for n in range(1, 6))
