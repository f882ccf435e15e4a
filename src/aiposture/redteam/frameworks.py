"""The framework ids red-team results map to (OWASP LLM 2025, MITRE ATLAS), read
from `data/redteam/frameworks.yaml`, with their titles for reports."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml


@cache
def catalog() -> dict[str, dict[str, str]]:
    text = (resources.files("aiposture.data") / "redteam" / "frameworks.yaml").read_text(encoding="utf-8")
    return {k: {str(i): str(t) for i, t in v.items()} for k, v in yaml.safe_load(text).items()}


def title(framework: str, ident: str) -> str:
    return catalog().get(framework, {}).get(ident, ident)


def unknown_ids(mapping: dict[str, list[str]]) -> list[str]:
    known = catalog()
    return [f"{fw}:{i}" for fw, ids in mapping.items() for i in ids if fw not in known or i not in known[fw]]
