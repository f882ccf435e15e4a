"""`aiposture discover` as a user runs it: formats, -o, the store's run diff, the
--fail-on gate and DESIGN.md's exit codes with one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from aiposture.cli import app

runner = CliRunner()


def _estate(root):
    (root / "models").mkdir(parents=True)
    (root / "models" / "head.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}" + b" " * 14)
    (root / "app.py").write_text("import openai\nclient = openai.OpenAI()\n")


def _discover(*args, db):
    return runner.invoke(app, ["discover", *map(str, args), "--db", db])


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'state.db'}"


def test_json_output_and_run_diff(tmp_path, db):
    estate = tmp_path / "estate"
    _estate(estate)
    first = _discover(estate, "--format", "json", db=db)
    assert first.exit_code == 0, first.output
    doc = json.loads(first.stdout)
    assert set(doc) == {"run", "assets", "findings", "skipped"}
    model_file = next(a for a in doc["assets"] if a["kind"] == "model-file")
    assert model_file["locations"] == [{"path": "models/head.safetensors", "line": None}]
    assert len(model_file["properties"]["sha256"]) == 64

    (estate / "models" / "second.gguf").write_bytes(b"GGUF")
    (estate / "models" / "head.safetensors").unlink()
    second = json.loads(_discover(estate, "--format", "json", db=db).stdout)
    diff = second["run"]["diff"]
    assert diff["previous_run"] == [doc["run"]["id"]]
    assert model_file["id"] in diff["gone"]
    assert any(a["name"] == "second.gguf" and a["id"] in diff["new"] for a in second["assets"])


def test_output_file_and_formats(tmp_path, db):
    _estate(tmp_path / "e")
    for fmt in ("cyclonedx", "sarif", "table"):
        out = tmp_path / f"report.{fmt}"
        result = _discover(tmp_path / "e", "--format", fmt, "-o", out, db=db)
        assert result.exit_code == 0, result.output
        assert out.read_text().strip()
    assert json.loads((tmp_path / "report.cyclonedx").read_text())["bomFormat"] == "CycloneDX"


def test_fail_on_gates_only_at_or_above_the_severity(tmp_path, db):
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "legacy.pkl").write_bytes(b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00lsq\x85R.")
    result = _discover(tmp_path / "e", "--format", "json", "--fail-on", "high", db=db)
    doc = json.loads(result.stdout)
    worst = {f["severity"] for f in doc["findings"]}
    if worst & {"critical", "high"}:
        assert result.exit_code == 1
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "readme.md").write_text("nothing here")
    assert _discover(clean, "--fail-on", "info", db=db).exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["discover", "/definitely/not/here"], "no such file or directory"),
    (["discover", ".", "--format", "pdf"], "pdf"),
    (["discover", ".", "--fail-on", "urgent"], "urgent"),
])
def test_bad_usage_exits_2_with_one_line(args, message, db):
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_unwritable_database_is_a_clean_error(tmp_path):
    (tmp_path / "e").mkdir()
    result = runner.invoke(app, ["discover", str(tmp_path / "e"), "--db", "postgresql://127.0.0.1:1/x"])
    assert result.exit_code == 2
    assert "cannot" in result.output and "Traceback" not in result.output


def test_postgresql_store_from_the_command_line(tmp_path, pg_schema_url):
    _estate(tmp_path / "e")
    first = runner.invoke(app, ["discover", str(tmp_path / "e"), "--format", "json", "--db", pg_schema_url])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["discover", str(tmp_path / "e"), "--format", "json", "--db", pg_schema_url])
    diff = json.loads(second.stdout)["run"]["diff"]
    assert diff["previous_run"] == [json.loads(first.stdout)["run"]["id"]]
    assert diff["new"] == diff["changed"] == diff["gone"] == []


def test_contoso_estate_bom_is_strictly_valid(tmp_path, db):
    from aiposture.demo.estate import write_estate

    estate = write_estate(tmp_path / "contoso")
    out = tmp_path / "aibom.json"
    result = _discover(estate, "--format", "cyclonedx", "--validate", "-o", out, db=db)
    assert result.exit_code == 0, result.output
    bom = json.loads(out.read_text())
    types = {c["type"] for c in bom["components"]}
    assert {"library", "framework", "machine-learning-model"} <= types
    assert any(s["name"] == "contoso-openai" for s in bom["services"])
