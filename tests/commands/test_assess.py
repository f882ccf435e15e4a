"""`aiposture assess` and `aiposture posture` as a user runs them, and the HTML report
rendered in headless Chromium: it renders, logs no console errors, loads nothing
from the network, and the key numbers on screen equal the JSON's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiposture.cli import app
from aiposture.demo.estate import write_estate

runner = CliRunner()
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'state.db'}"


@pytest.fixture
def estate(tmp_path):
    root = tmp_path / "contoso"
    write_estate(root)
    return root


def _assess(*args, db):
    return runner.invoke(app, ["assess", *map(str, args), "--db", db])


def test_default_writes_html_under_state_dir_and_prints_summary(estate, db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = _assess(estate, db=db)
    assert result.exit_code == 0, result.output
    assert "Posture score" in result.stdout
    reports = list((tmp_path / ".aiposture" / "reports").glob("assess-*.html"))
    assert len(reports) == 1
    assert "<svg" in reports[0].read_text() and "<script" not in reports[0].read_text()


def test_json_has_posture_scan_and_stored_history(estate, db):
    first = _assess(estate, "--format", "json", db=db)
    assert first.exit_code == 0, first.output
    doc = json.loads(first.stdout)
    assert {"run", "assets", "findings", "skipped", "posture"} <= set(doc)
    posture = doc["posture"]
    assert 0 <= posture["score"]["score"] <= 100
    assert {fw["id"] for fw in posture["frameworks"]} >= {"owasp-llm-2025", "mitre-atlas", "eu-ai-act"}
    assert len(posture["checks"]) >= 10
    second = json.loads(_assess(estate, "--format", "json", db=db).stdout)
    assert [p["run"] for p in second["posture"]["history"]] == [doc["run"]["id"], second["run"]["id"]]
    hist = runner.invoke(app, ["posture", "--history", "--db", db])
    assert hist.exit_code == 0 and doc["run"]["id"][:12] in hist.stdout
    latest = json.loads(runner.invoke(app, ["posture", "--format", "json", "--db", db]).stdout)
    assert latest["posture"]["run"]["id"] == second["run"]["id"]


def test_sarif_and_fail_on(estate, db, tmp_path):
    out = tmp_path / "r.sarif"
    result = _assess(estate, "--format", "sarif", "-o", out, "--fail-on", "critical", db=db)
    sarif = json.loads(out.read_text())
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert any(r.startswith("AIP-POSTURE-") for r in rules)
    assert result.exit_code == 1  # the public Azure OpenAI account fails a critical check


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["assess", "/no/such/folder"], "no such file"),
        (["assess", ".", "--format", "pdf"], "pdf"),
        (["assess", ".", "--policy", "/no/such/policy.yaml"], "does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, db):
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_posture_without_a_stored_run_exits_2(db):
    result = runner.invoke(app, ["posture", "--db", db])
    assert result.exit_code == 2 and "assess" in result.output


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium (apt-get install chromium)"
)
def test_html_report_in_headless_chromium(estate, db, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    doc = json.loads(_assess(estate, "--format", "json", db=db).stdout)
    html_path = tmp_path / "report.html"
    assert (
        runner.invoke(app, ["posture", "--format", "html", "-o", str(html_path), "--db", db]).exit_code == 0
    )
    latest = json.loads(runner.invoke(app, ["posture", "--format", "json", "--db", db]).stdout)["posture"]
    assert latest["run"]["id"] == doc["run"]["id"]
    errors: list[str] = []
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(html_path.as_uri())
        page.wait_for_load_state("load")
        shown = {
            key: page.inner_text(f"#{key}")
            for key in (
                "score",
                "coverage",
                "assets-count",
                "findings-count",
                "paths-count",
                "checks-passed",
                "checks-failed",
                "checks-not-assessed",
            )
        }
        by_sev = {
            sev: page.inner_text(f"#count-{sev}") for sev in ("critical", "high", "medium", "low", "info")
        }
        svg_count = page.locator("svg").count()
        check_rows = page.locator("tr.check").count()
        gauge_box = page.locator("svg.gauge").bounding_box()
        browser.close()
    assert errors == []
    assert all(u.startswith("file://") for u in requests), requests
    score = latest["score"]
    assert shown["score"] == f"{score['score']:.1f}"
    assert shown["coverage"] == f"{score['coverage']:.1f}%"
    assert int(shown["checks-passed"]) == score["passed"] and int(shown["checks-failed"]) == score["failed"]
    assert int(shown["checks-not-assessed"]) == score["not_assessed"]
    assert int(shown["assets-count"]) == len(doc["assets"])
    assert int(shown["findings-count"]) == len(doc["findings"])
    assert int(shown["paths-count"]) == len(latest["attack_paths"])
    for sev, text in by_sev.items():
        assert int(text) == sum(1 for f in doc["findings"] if f["severity"] == sev)
    assert check_rows == len(latest["checks"])
    assert svg_count >= 4 and gauge_box and gauge_box["width"] > 50


def test_no_network_references_in_the_template():
    from importlib import resources

    text = resources.files("aiposture.data").joinpath("report", "posture.html.j2").read_text()
    assert "http://" not in text and "https://" not in text.replace("default-src 'none'", "")
    assert "<script" not in text


def test_gateway_policy_in_the_tree_is_evidence(estate, db):
    import shutil

    shutil.rmtree(estate / "gateway", ignore_errors=True)  # replace the sample estate's own gateway
    (estate / "gateway").mkdir()
    (estate / "gateway" / "gateway.yaml").write_text(
        "upstreams:\n  - {name: azure, base_url: https://contoso-openai.openai.azure.com}\n"
        "policy: policy.yaml\n"
    )
    (estate / "gateway" / "policy.yaml").write_text(
        "retention_days: 365\napps:\n  support-copilot: {content_logging: redacted}\n"
    )
    doc = json.loads(_assess(estate, "--format", "json", db=db).stdout)
    status = {c["id"]: c["status"] for c in doc["posture"]["checks"]}
    assert status["AIP-POSTURE-009"] == "pass" and status["AIP-POSTURE-010"] == "pass"
    assert status["AIP-POSTURE-011"] == "pass"  # the guard's default policy blocks injection
    assert status["AIP-POSTURE-001"] == "fail"  # only one of the apps is known to the gateway


def test_default_names_the_report_once_and_a_chosen_format_says_wrote(estate, db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    default = _assess(estate, db=db)
    [report] = (tmp_path / ".aiposture" / "reports").glob("assess-*.html")
    assert default.output.count(report.name) == 1, default.output
    chosen = _assess(estate, "--format", "sarif", "-o", tmp_path / "out.sarif", db=db)
    assert chosen.exit_code == 0 and chosen.output.count("out.sarif") == 1, chosen.output
