"""Walk the detector registry: every rule of every rule-driven detector of this engine
(pii, secrets, unsafe_output, invisible) has complete metadata and well-formed framework
mappings, and its own positive example is found and its negative one is not."""

from __future__ import annotations

import pytest
import re2

from aiposture.detect import registry

RULE_DRIVEN = ("pii", "secrets", "unsafe_output", "invisible")  # injection/content test their own
DETECTORS = {name: registry.create(name) for name in registry.names() if name in RULE_DRIVEN}
FRAMEWORK_ID = {"owasp-llm-2025": re2.compile(r"^LLM(0[1-9]|10)$"),
                "mitre-atlas": re2.compile(r"^AML\.T\d{4}(\.\d{3})?$")}
THRESHOLD = 0.5
RULES = [(name, rule) for name, det in DETECTORS.items() for rule in det.rules]


@pytest.mark.parametrize(("detector", "rule"), RULES, ids=[f"{n}:{r.id}" for n, r in RULES])
def test_rule_metadata(detector: str, rule) -> None:
    assert rule.title and rule.type and rule.severity
    assert set(rule.frameworks) == set(FRAMEWORK_ID), "map every rule to OWASP LLM and MITRE ATLAS"
    for framework, ids in rule.frameworks.items():
        assert ids and all(FRAMEWORK_ID[framework].match(i) for i in ids), ids


@pytest.mark.parametrize(("detector", "rule"), RULES, ids=[f"{n}:{r.id}" for n, r in RULES])
def test_rule_examples(detector: str, rule) -> None:
    det = DETECTORS[detector]
    for text in rule.examples.positive:
        assert any(d.type == rule.type and d.explanation["rule"] == rule.id
                   for d in det.detect(text, "response")), f"positive example missed: {text!r}"
    for text in rule.examples.negative:  # may be seen, never at the policies' 0.5 threshold
        assert not any(d.type == rule.type and d.score >= THRESHOLD for d in det.detect(text, "response")), \
            f"negative example flagged: {text!r}"


def test_registry_lists_every_rule_driven_detector() -> None:
    assert set(DETECTORS) == set(RULE_DRIVEN)


def test_rule_ids_unique_across_detectors() -> None:
    ids = [rule.id for _, rule in RULES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_detection_explains_itself(name: str) -> None:
    det = DETECTORS[name]
    for rule in det.rules:
        for text in rule.examples.positive:
            for d in det.detect(text, "response"):
                assert 0.0 <= d.score <= 1.0 and d.detector == name
                assert d.explanation["rule"] and d.explanation["confidence"] in ("high", "medium", "low")
