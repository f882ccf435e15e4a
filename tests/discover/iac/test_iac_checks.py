"""Every check in checks.yaml: valid metadata, an existing rule with framework
mappings, catalogued resource types, and a passing and a failing example that really
pass and fail when rendered in each template language the type is written in."""

from __future__ import annotations

import pytest
from iac_fixtures import RENDERERS, Ref, formats_for, scan_text

from aiposture.discover.iac.catalog import CheckSpec, catalog, checks, find_resource
from aiposture.discover.rules import all_rules

CHECKS = checks()
PRIVATE_ENDPOINT = {"Microsoft.Network/privateEndpoints": "pe", "azurerm_private_endpoint": "pe"}


def _cases() -> list[tuple[CheckSpec, str, str]]:
    return [(check, rtype, fmt) for check in CHECKS for rtype in check.resource_types
            for fmt in formats_for(rtype)]


def _id(case: tuple[CheckSpec, str, str]) -> str:
    check, rtype, fmt = case
    return f"{check.id}[{rtype}@{fmt}]"


def test_checks_load_and_ids_are_unique():
    assert len(CHECKS) >= 30
    assert len({c.id for c in CHECKS}) == len(CHECKS)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_check_metadata(check: CheckSpec):
    rule = all_rules().get(check.rule)
    assert rule is not None, f"{check.id} names unknown rule {check.rule}"
    assert rule.frameworks and all(rule.frameworks.values())
    assert "owasp-llm-2025" in rule.frameworks and "mitre-atlas" in rule.frameworks
    for rtype in check.resource_types:
        assert find_resource(rtype) is not None, f"{check.id}: {rtype} is not in resources.yaml"
    assert check.examples.pass_ and check.examples.fail


def _findings_for(check: CheckSpec, out) -> list:
    return [f for f in out.findings if f.rule == check.rule and check.message in f.evidence]


def _companions(check: CheckSpec, rtype: str) -> list:
    """For `referenced_by` checks: the resource that must point at the target."""
    if check.test != "referenced_by":
        return []
    by = check.by_types[0]
    body = {"properties": {"privateLinkServiceConnections": [
        {"name": "c", "properties": {"privateLinkServiceId": Ref(rtype, "target")}}]}}
    if by == "azurerm_private_endpoint":
        body = {"private_service_connection": {"name": "c",
                                                "private_connection_resource_id": Ref(rtype, "target"),
                                                "is_manual_connection": False}}
    return [(by, PRIVATE_ENDPOINT[by], body)]


@pytest.mark.parametrize("case", _cases(), ids=_id)
def test_check_fails_on_failing_example(tmp_path, case):
    check, rtype, fmt = case
    name, render = RENDERERS[fmt]
    out = scan_text(tmp_path, name, render([(rtype, "target", check.examples.fail)]))
    found = _findings_for(check, out)
    assert len(found) == 1, [f.evidence for f in out.findings]
    finding = found[0]
    assert finding.location is not None and finding.location.path == name and finding.location.line
    asset = next(a for a in out.assets if a.id == finding.asset)
    assert asset.properties["resource_type"] == rtype
    if check.exposes:
        assert asset.properties["public"] is True


@pytest.mark.parametrize("case", _cases(), ids=_id)
def test_check_passes_on_passing_example(tmp_path, case):
    check, rtype, fmt = case
    name, render = RENDERERS[fmt]
    resources = [(rtype, "target", check.examples.pass_), *_companions(check, rtype)]
    out = scan_text(tmp_path, name, render(resources))
    assert _findings_for(check, out) == [], [f.evidence for f in out.findings]
    target = [a for a in out.assets if a.properties.get("address", "").endswith("target")]
    assert len(target) == 1
    if check.exposes:
        assert target[0].properties["public"] is False


def test_every_iac_rule_is_raised_by_something():
    raised = {c.rule for c in CHECKS} | {"AIP-IAC-006", "AIP-IAC-007", "AIP-IAC-008"}  # workloads.py
    declared = {rid for rid in all_rules() if rid.startswith("AIP-IAC-")}
    assert declared == raised


def test_catalog_entries_are_consistent():
    cat = catalog()
    types = [r.type.lower() for r in cat.resources if r.type]
    assert len(types) == len(set(types)), "duplicate resource types"
    assert {i.server for i in cat.images} >= {"vllm", "tgi", "ollama", "triton", "qdrant", "weaviate",
                                               "milvus", "chroma", "pgvector"}
