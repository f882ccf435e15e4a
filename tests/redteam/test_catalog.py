"""Walk every registered probe, converter, scorer, strategy, target and report
writer: metadata present, framework mappings known, probes expandable."""

from __future__ import annotations

import pytest

from aiposture.redteam.converters.catalog import CONVERTERS
from aiposture.redteam.frameworks import catalog, unknown_ids
from aiposture.redteam.probes.base import CATEGORIES
from aiposture.redteam.probes.catalog import all_probes, expand_prompts, select_probes
from aiposture.redteam.report.base import WRITERS
from aiposture.redteam.scorers.catalog import SCORERS
from aiposture.redteam.strategies.catalog import STRATEGIES
from aiposture.redteam.targets.config import TARGETS

PROBES = all_probes()


@pytest.mark.parametrize("probe", PROBES, ids=[p.id for p in PROBES])
def test_probe_metadata_and_mappings(probe):
    assert probe.title and probe.goal and probe.remediation
    assert probe.frameworks["owasp-llm-2025"] and probe.frameworks["mitre-atlas"]
    assert not unknown_ids(probe.frameworks)
    assert all(ref.name in SCORERS.names() for ref in probe.scorers)
    prompts = expand_prompts(probe, seed=0)
    assert prompts and all(p.strip() for p in prompts)
    assert prompts == expand_prompts(probe, seed=0)  # deterministic per seed


def test_every_category_the_issue_names_is_covered():
    assert {p.category for p in PROBES} == set(CATEGORIES)


def test_jailbreak_families_present():
    ids = {p.id for p in PROBES}
    for family in ("roleplay", "persona", "hypothetical", "refusal_suppression", "many_shot"):
        assert f"jailbreak.{family}" in ids


def test_indirect_channels_present():
    kinds = {d.kind for p in PROBES if p.category == "indirect_injection" for d in p.documents}
    assert {"document", "email", "tool_result"} <= kinds


@pytest.mark.parametrize(
    "registry", [CONVERTERS, SCORERS, STRATEGIES, TARGETS, WRITERS], ids=lambda r: r.kind
)
def test_plugins_have_names_and_descriptions(registry):
    classes = registry.classes()
    assert classes
    for name, cls in classes.items():
        assert cls.name == name and cls.description


def test_framework_catalog_has_owasp_top_ten():
    assert sorted(catalog()["owasp-llm-2025"]) == [f"LLM{i:02d}" for i in range(1, 11)]


@pytest.mark.parametrize(
    "pattern,expected",
    [
        (["jailbreak"], "jailbreak.persona"),
        (["leakage.system_prompt"], "leakage.system_prompt"),
        (["tool_misuse"], "agency.unapproved_email"),
        (["indirect_injection"], "indirect.email"),
    ],
)
def test_select_probes(pattern, expected):
    assert expected in {p.id for p in select_probes(pattern)}


def test_select_unknown_probe_is_input_error():
    from aiposture.errors import InputError

    with pytest.raises(InputError):
        select_probes(["no.such.probe"])
