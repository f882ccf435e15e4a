"""MITRE ATLAS, read from the copy shipped in `data/govern/atlas/ATLAS.yaml` (release
5.6.0, Apache-2.0; see the README beside it) with the C safe loader: tactics,
techniques (and sub-techniques) and mitigations by id and name."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


@cache
def atlas_index() -> dict[str, str]:
    """Every ATLAS id (tactic, technique, sub-technique, mitigation) -> its name."""
    text = resources.files("aiposture.data").joinpath("govern", "atlas", "ATLAS.yaml").read_bytes()
    data = yaml.load(text, Loader=_Loader)  # noqa: S506 - CSafeLoader is the safe loader
    index: dict[str, str] = {}
    for matrix in data.get("matrices", []):
        for section in ("tactics", "techniques", "mitigations"):
            for item in matrix.get(section, []) or []:
                index[str(item["id"])] = str(item.get("name", ""))
    return index


@cache
def atlas_version() -> str:
    head = (
        resources.files("aiposture.data")
        .joinpath("govern", "atlas", "ATLAS.yaml")
        .read_text(encoding="utf-8")
    )
    for line in head.splitlines()[:10]:
        if line.startswith("version:"):
            return line.split(":", 1)[1].strip()
    return "unknown"
