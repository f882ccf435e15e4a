"""Frameworks as data: every check maps to a requirement, every mapping names an
existing check, ATLAS ids exist in the bundled ATLAS.yaml, and the framework ids used
by every other rule file (discovery, path rules, detectors, probes) are valid."""

from __future__ import annotations

import warnings
from importlib import resources

import pytest
import yaml

from aiposture.govern.atlas import atlas_index, atlas_version
from aiposture.govern.checks.loader import load_checks
from aiposture.govern.checks.model import CheckResult, Status
from aiposture.govern.frameworks import coverage, framework_ids, load_frameworks
from aiposture.govern.knowledge import knowledge

EXPECTED = {
    "owasp-llm-2025",
    "owasp-agentic-2026",
    "mitre-atlas",
    "nist-ai-rmf-1.0",
    "nist-ai-600-1",
    "eu-ai-act",
    "iso-iec-42001",
}


def test_all_frameworks_ship():
    assert {f.id for f in load_frameworks()} == EXPECTED


@pytest.mark.parametrize(
    ("framework", "ids"),
    [
        ("owasp-llm-2025", [f"LLM{i:02d}" for i in range(1, 11)]),
        ("owasp-agentic-2026", [f"ASI{i:02d}" for i in range(1, 11)]),
        ("eu-ai-act", [f"Art. {n}" for n in (9, 10, 11, 12, 13, 14, 15, 19, 26, 50)]),
    ],
)
def test_framework_requirement_ids(framework, ids):
    fw = framework_ids()[framework]
    assert [r.id for r in fw.requirements] == ids


def test_nist_rmf_has_all_four_functions_and_600_1_its_twelve_risks():
    rmf = framework_ids()["nist-ai-rmf-1.0"]
    assert {r.group for r in rmf.requirements} == {"GOVERN", "MAP", "MEASURE", "MANAGE"}
    assert len(rmf.requirements) == 72
    assert len(framework_ids()["nist-ai-600-1"].requirements) == 12


def test_every_check_maps_to_a_requirement_and_every_mapping_names_a_check():
    check_ids = {c.id for c in load_checks()}
    mapped: set[str] = set()
    for fw in load_frameworks():
        assert len({r.id for r in fw.requirements}) == len(fw.requirements), (
            f"duplicate requirement in {fw.id}"
        )
        for req in fw.requirements:
            unknown = set(req.checks) - check_ids
            assert not unknown, f"{fw.id} {req.id} names unknown checks {unknown}"
            mapped |= set(req.checks)
            assert req.title, f"{fw.id} {req.id} has no title"
    assert check_ids - mapped == set(), f"checks mapped to nothing: {check_ids - mapped}"


def test_atlas_ids_exist_in_the_bundled_atlas():
    index = atlas_index()
    assert atlas_version() == "5.6.0"
    assert len([i for i in index if i.startswith("AML.T") and not i.startswith("AML.TA")]) == 170
    for req in framework_ids()["mitre-atlas"].requirements:
        assert req.id in index, req.id
        assert req.title.endswith(index[req.id]), (req.id, req.title, index[req.id])


def _rule_files() -> list[tuple[str, dict]]:
    """Every YAML rule entry under data/ that carries a `frameworks` mapping."""
    out = []
    root = resources.files("aiposture.data")

    def walk(node, prefix):
        for entry in sorted(node.iterdir(), key=lambda e: e.name):
            name = f"{prefix}/{entry.name}"
            if entry.is_dir():
                if "atlas" not in entry.name and "frameworks" not in entry.name:
                    walk(entry, name)
            elif entry.name.endswith((".yaml", ".yml")):
                try:
                    data = yaml.safe_load(entry.read_text(encoding="utf-8"))
                except yaml.YAMLError:
                    continue
                items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
                for sub in list(items):
                    if isinstance(sub, dict):
                        items.extend(v for v in sub.values() if isinstance(v, list))
                for item in items:
                    if isinstance(item, dict) and isinstance(item.get("frameworks"), dict):
                        out.append((f"{name}:{item.get('id', '?')}", item["frameworks"]))

    walk(root, "data")
    return out


def test_framework_ids_used_by_every_rule_are_valid():
    known = framework_ids()
    atlas = atlas_index()
    unknown_keys: set[str] = set()
    for where, mapping in _rule_files():
        for key, ids in mapping.items():
            if key not in known:
                unknown_keys.add(key)
                continue
            valid = atlas.keys() if known[key].id == "mitre-atlas" else known[key].requirement_ids()
            bad = [i for i in ids or [] if i not in valid]
            assert not bad, f"{where}: {key} ids {bad} do not exist"
    if unknown_keys:
        warnings.warn(f"rules use framework keys we do not ship: {sorted(unknown_keys)}", stacklevel=1)


def test_path_rules_map_to_valid_ids():
    known = framework_ids()
    for rule in knowledge().rules:
        for key, ids in rule.frameworks.items():
            valid = atlas_index().keys() if key == "mitre-atlas" else known[key].requirement_ids()
            assert set(ids) <= set(valid), (rule.id, key)


def _result(check_id: str, status: Status) -> CheckResult:
    return CheckResult(id=check_id, title="t", severity="high", status=status, why="w")


def test_requirement_status_follows_its_checks():
    results = [
        _result("AIP-POSTURE-011", Status.PASS),
        _result("AIP-POSTURE-007", Status.NOT_ASSESSED),
        _result("AIP-POSTURE-001", Status.FAIL),
        _result("AIP-POSTURE-004", Status.PASS),
    ]
    llm = next(c for c in coverage(results) if c.id == "owasp-llm-2025")
    status = {r.id: r.status for r in llm.requirements}
    assert status["LLM01"] == "fail"  # 011 pass, 007 not assessed, 001 fail
    assert status["LLM07"] == "not_assessed"
    assert status["LLM09"] == "manual"
    assert status["LLM05"] == "not_assessed"
    assert llm.automated == 9
