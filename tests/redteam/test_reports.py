"""Report writers: every format renders the same run; SARIF 2.1.0 and JUnit are
well-formed; HTML is self-contained and escapes attacker text; the ASR gate."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET

import pytest

from aiposture.errors import InputError
from aiposture.redteam.campaign import run_campaign
from aiposture.redteam.plan import RunConfig
from aiposture.redteam.report.base import WRITERS, render
from aiposture.redteam.report.summary import check_gate, parse_thresholds

SAMPLE = "aiposture.redteam.sample_target:chat"


@pytest.fixture(scope="module")
def report():
    return asyncio.run(run_campaign(RunConfig(target=SAMPLE, probes=["all"])))


@pytest.mark.parametrize("fmt", sorted(WRITERS.names()))
def test_every_format_renders(report, fmt):
    text = render(report, fmt)
    assert text and "leakage.system_prompt" in text


def test_json_has_mappings_and_reasons(report):
    body = json.loads(render(report, "json"))
    probe = next(p for p in body["probes"] if p["probe"] == "leakage.system_prompt")
    assert probe["frameworks"] == {"owasp-llm-2025": ["LLM07"], "mitre-atlas": ["AML.T0056"]}
    assert probe["vulnerable"] and probe["evidence"]
    attempt = next(a for a in body["attempts"] if a["success"])
    assert attempt["reasons"] and all(r["detail"] for r in attempt["reasons"])
    assert set(body["asr_by_category"]) == {p["category"] for p in body["probes"]}


def test_sarif_is_2_1_0_with_rules_and_results(report):
    doc = json.loads(render(report, "sarif"))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert len(rules) == len(report.probes)
    assert {r["ruleId"] for r in run["results"]} == {p.probe for p in report.probes if p.vulnerable}
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
    assert "LLM07" in rules["leakage.system_prompt"]["properties"]["tags"]


def test_junit_failures_are_the_vulnerable_probes(report):
    root = ET.fromstring(render(report, "junit").split("\n", 1)[1])
    failed = {case.get("name") for case in root.iter("testcase") if case.find("failure") is not None}
    assert failed == {p.probe for p in report.probes if p.vulnerable}
    assert int(root.get("tests")) == len(report.probes)


def test_html_is_self_contained_and_escaped(report):
    html = render(report, "html")
    assert "<script" not in html.lower()
    assert "&lt;img src=x onerror" in html or "&lt;script" in html
    for remote in ('src="http', "src='http", 'href="http', "@import", "<link"):
        assert remote not in html
    assert "LLM07 System Prompt Leakage" in html


@pytest.mark.parametrize(
    "specs,expected",
    [
        (["0.1"], {"*": 0.1}),
        (["jailbreak=0.2"], {"jailbreak": 0.2}),
        (["0.5,prompt_injection=0"], {"*": 0.5, "prompt_injection": 0.0}),
        ([], {}),
    ],
)
def test_parse_thresholds(specs, expected):
    assert parse_thresholds(specs) == expected


@pytest.mark.parametrize("spec", ["nosuch=0.1", "jailbreak=high", "1.5", "-0.1"])
def test_bad_thresholds(spec):
    with pytest.raises(InputError):
        parse_thresholds([spec])


@pytest.mark.parametrize(
    "spec,trips",
    [
        ("0.1", True),
        ("1.0", False),
        ("jailbreak=0.2", True),
        ("harmful_content=0.0", False),
        ("harmful_content=0,jailbreak=1", False),
    ],
)
def test_gate(report, spec, trips):
    assert bool(check_gate(report, parse_thresholds([spec]))) is trips
