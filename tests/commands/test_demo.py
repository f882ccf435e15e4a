"""`aiposture demo` as a person runs it: what it says on the terminal."""

from __future__ import annotations

from typer.testing import CliRunner

from aiposture.cli import app

runner = CliRunner()


def test_demo_names_the_report_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["demo", "--dest", "contoso", "--db", f"sqlite:///{tmp_path / 'demo.db'}"])
    assert result.exit_code == 0, result.output
    [report] = (tmp_path / ".aiposture" / "reports").glob("assess-*.html")
    assert result.output.count(report.name) == 1, result.output
    assert f"report: {report.relative_to(tmp_path)}" in result.output
