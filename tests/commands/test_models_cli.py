"""`aiposture models scan` as a user runs it: formats, -o, exit codes, options."""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

from typer.testing import CliRunner

from aiposture.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "discover" / "models"))
from model_corpus import evil_object, safetensors_bytes  # noqa: E402

runner = CliRunner()


def _folder(root: Path, evil: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "ok.safetensors").write_bytes(
        safetensors_bytes({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4)
    )
    if evil:
        (root / "sub").mkdir(exist_ok=True)
        (root / "sub" / "weights.bin").write_bytes(pickle.dumps(evil_object(), protocol=0))
    (root / "README.md").write_text("# not a model\n")
    return root


def test_json_shape_and_exit_1_on_unsafe(tmp_path) -> None:
    result = runner.invoke(app, ["models", "scan", str(_folder(tmp_path / "m")), "--format", "json"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    by_name = {Path(f["path"]).name: f for f in doc["files"]}
    assert set(by_name) == {"ok.safetensors", "weights.bin"}
    evil = by_name["weights.bin"]
    assert evil["verdict"] == "unsafe"
    assert {"path", "format", "sha256", "size", "verdict", "issues"} <= evil.keys()
    assert {"severity", "rule", "detail", "offset"} <= evil["issues"][0].keys()


def test_clean_folder_exits_0_and_fail_on_gates(tmp_path) -> None:
    folder = _folder(tmp_path / "clean", evil=False)
    assert runner.invoke(app, ["models", "scan", str(folder)]).exit_code == 0
    (folder / "custom.pkl").write_bytes(b"\x80\x04\x8c\x05mylib\x8c\x03Net\x93)R.")
    assert runner.invoke(app, ["models", "scan", str(folder)]).exit_code == 0
    assert runner.invoke(app, ["models", "scan", str(folder), "--fail-on", "medium"]).exit_code == 1


def test_table_and_sarif_to_file(tmp_path) -> None:
    folder = _folder(tmp_path / "m")
    result = runner.invoke(app, ["models", "scan", str(folder)])
    assert "unsafe" in result.stdout and "weights.bin" in result.stdout
    out = tmp_path / "report.sarif"
    result = runner.invoke(app, ["models", "scan", str(folder), "-f", "sarif", "-o", str(out)])
    assert result.exit_code == 1
    sarif = json.loads(out.read_text())
    assert sarif["version"] == "2.1.0"
    assert any(r["ruleId"] == "AIP-MODEL-001" for r in sarif["runs"][0]["results"])


def test_require_signed_and_approved(tmp_path) -> None:
    folder = _folder(tmp_path / "m", evil=False)
    result = runner.invoke(app, ["models", "scan", str(folder), "--require-signed", "-f", "json"])
    assert "AIP-MODEL-022" in result.stdout
    registry = tmp_path / "approved.yaml"
    registry.write_text("approved_models: []\n")
    result = runner.invoke(app, ["models", "scan", str(folder), "--approved", str(registry), "-f", "json"])
    assert "AIP-MODEL-025" in result.stdout


def test_bad_usage_exits_2(tmp_path) -> None:
    result = runner.invoke(app, ["models", "scan", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "no such file" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("approved_models: [{}]")
    result = runner.invoke(app, ["models", "scan", str(_folder(tmp_path / "m")), "--approved", str(bad)])
    assert result.exit_code == 2
    assert runner.invoke(app, ["models", "scan"]).exit_code == 2
