"""SARIF, JSON and table writers render the same result faithfully."""

from __future__ import annotations

import json

import pytest

from aiposture.report.registry import WRITERS, get_writer


def test_sarif_shape(estate_result):
    doc = json.loads(get_writer("sarif").render(estate_result))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {"AIP-SECRET-001", "AIP-IAC-001", "AIP-MODEL-001"}
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert by_rule["AIP-SECRET-001"]["level"] == "error"
    assert by_rule["AIP-IAC-001"]["level"] == "warning"
    loc = by_rule["AIP-SECRET-001"]["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "app/.env", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 3}}
    assert "locations" not in by_rule["AIP-MODEL-001"]
    iac_rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "AIP-IAC-001")
    assert "mitre-atlas/AML.T0049" in iac_rule["properties"]["tags"]
    assert iac_rule["properties"]["security-severity"] == "5.5"


def test_json_is_the_design_contract(estate_result):
    doc = json.loads(get_writer("json").render(estate_result))
    assert set(doc) == {"run", "assets", "findings", "skipped"}
    assert set(doc["assets"][0]) == {"id", "kind", "name", "version", "provider", "locations", "properties"}
    assert set(doc["findings"][0]) >= {"id", "rule", "title", "severity", "asset", "location", "evidence",
                                       "remediation", "frameworks"}


def test_table_lists_assets_findings_and_summary(estate_result):
    text = get_writer("table", color=False).render(estate_result)
    assert "AI inventory: 15 assets" in text and "Findings: 3" in text
    assert "42 files scanned, 15 assets, 3 findings (1 critical, 1 high, 1 medium)" in text
    assert "\x1b[" not in text


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown format"):
        get_writer("pdf")


def test_every_writer_renders_the_result(estate_result):
    for name in WRITERS:
        assert get_writer(name).render(estate_result).strip()
