"""Loading every probe: the YAML files shipped under `aiposture/data/redteam/probes`
plus, from the entry-point group `aiposture.redteam.probes`, callables that return
extra YAML paths. Generators are an explicit registry of their own."""

from __future__ import annotations

import random
from functools import cache
from importlib import resources
from importlib.metadata import entry_points
from pathlib import Path

import yaml
from pydantic import ValidationError

from aiposture.errors import InputError
from aiposture.redteam.frameworks import unknown_ids
from aiposture.redteam.probes.base import Probe, PromptGenerator
from aiposture.redteam.registry import Registry
from aiposture.shipped import load_yaml_text

GENERATORS = Registry(
    "generators",
    [
        "aiposture.redteam.probes.manyshot:ManyShotGenerator",
        "aiposture.redteam.probes.repetition:RepetitionGenerator",
    ],
)


def _probe_files() -> list[Path]:
    root = resources.files("aiposture.data") / "redteam" / "probes"
    files = sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".yaml"))
    for ep in entry_points(group="aiposture.redteam.probes"):
        files.extend(Path(p) for p in ep.load()())
    return files


def load_file(path: Path) -> list[Probe]:
    try:
        data = load_yaml_text(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot load probes from {path.name}: {exc}") from exc
    probes = []
    for raw in data.get("probes", []):
        raw.setdefault("family", path.stem)
        try:
            probe = Probe.model_validate(raw)
        except ValidationError as exc:
            raise InputError(f"{path.name}: probe {raw.get('id', '?')}: {exc.errors()[0]['msg']}") from exc
        bad = unknown_ids(probe.frameworks)
        if bad:
            raise InputError(f"{path.name}: probe {probe.id} maps to unknown ids {', '.join(bad)}")
        if not probe.prompts and probe.generator is None:
            raise InputError(f"{path.name}: probe {probe.id} has neither prompts nor a generator")
        probes.append(probe)
    return probes


@cache
def all_probes() -> tuple[Probe, ...]:
    seen: dict[str, Probe] = {}
    for path in _probe_files():
        for probe in load_file(path):
            if probe.id in seen:
                raise InputError(f"duplicate probe id {probe.id}")
            seen[probe.id] = probe
    return tuple(seen.values())


def select_probes(patterns: list[str] | None) -> list[Probe]:
    """Probes whose id, family or category matches one of the patterns (a prefix
    match on ids: `jailbreak` selects `jailbreak.*`); the default set when none."""
    probes = list(all_probes())
    if not patterns or patterns == ["default"]:
        return [p for p in probes if p.default]
    if patterns == ["all"]:
        return probes
    chosen = [p for p in probes if any(_matches(p, pat) for pat in patterns)]
    missing = [pat for pat in patterns if not any(_matches(p, pat) for p in probes)]
    if missing:
        raise InputError(f"no probe matches {', '.join(missing)} (see `aiposture redteam list`)")
    return chosen


def _matches(probe: Probe, pattern: str) -> bool:
    return (
        probe.id == pattern
        or probe.id.startswith(pattern + ".")
        or probe.family == pattern
        or probe.category == pattern
    )


def expand_prompts(probe: Probe, seed: int) -> list[str]:
    """The probe's prompts, with generated ones appended (deterministic per seed)."""
    prompts = list(probe.prompts)
    if probe.generator is not None:
        generator: PromptGenerator = GENERATORS.get(probe.generator.name)()
        prompts += generator.generate(probe.generator.params, random.Random(f"{seed}:{probe.id}"))
    return prompts
