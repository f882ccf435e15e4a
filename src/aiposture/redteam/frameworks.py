"""The framework ids red-team results map to (OWASP LLM 2025, MITRE ATLAS), read
from `data/redteam/frameworks.yaml`, with their titles for reports."""

from __future__ import annotations

from functools import cache

from aiposture.shipped import load_data_yaml


@cache
def catalog() -> dict[str, dict[str, str]]:
    data = load_data_yaml("redteam", "frameworks.yaml")
    return {k: {str(i): str(t) for i, t in v.items()} for k, v in data.items()}


def title(framework: str, ident: str) -> str:
    return catalog().get(framework, {}).get(ident, ident)


def unknown_ids(mapping: dict[str, list[str]]) -> list[str]:
    known = catalog()
    return [f"{fw}:{i}" for fw, ids in mapping.items() for i in ids if fw not in known or i not in known[fw]]
