"""The IaC and agent scanners are registered, picklable (they travel to worker
processes) and route by name only."""

from __future__ import annotations

import pickle

import pytest

from aiposture.discover.agents import AgentScanner
from aiposture.discover.iac import FORMATS, IacScanner
from aiposture.discover.registry import load_scanners


def test_registered_and_picklable():
    scanners = {s.name: s for s in load_scanners(["iac", "agents"])}
    assert isinstance(scanners["iac"], IacScanner) and isinstance(scanners["agents"], AgentScanner)
    for scanner in scanners.values():
        clone = pickle.loads(pickle.dumps(scanner))
        assert clone.name == scanner.name


@pytest.mark.parametrize(("rel", "wanted"), [
    ("infra/main.tf", True), ("infra/main.bicep", True), ("azuredeploy.json", True),
    ("stack.template", True), ("k8s/app.yaml", True), ("chart/values.yml", True),
    ("src/app.py", False), ("README.md", False), ("main.tf.bak", False), ("Dockerfile", False),
])
def test_iac_wants_by_suffix(rel, wanted):
    name = rel.rsplit("/", 1)[-1]
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    assert IacScanner().wants(rel, name, suffix.lower()) is wanted


def test_every_format_is_reachable():
    assert set(FORMATS) == {"terraform", "bicep", "arm", "cloudformation", "compose", "helm", "kubernetes"}
    for fmt in FORMATS.values():
        assert fmt.suffixes and callable(fmt.claims) and callable(fmt.handle)
