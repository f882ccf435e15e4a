"""Type-confusion mutations of parsed documents: replace random nodes by values of
other types, so readers meet `env: 5`, `containers: {}`, `tools: "x"` and so on."""

from __future__ import annotations

import copy
import random
from typing import Any

_REPLACEMENTS: list[Any] = [None, 0, 7, -1, 1.5, True, "", "x", "http://[::1", [], [1, "a"], {},
                            {"k": [None]}, [[[]]], {"name": 3}]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, prefix + (i,)))
    return out


def mutate(doc: Any, rng: random.Random, times: int = 3) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(times):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            return rng.choice(_REPLACEMENTS)
        path = rng.choice(paths)
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = copy.deepcopy(rng.choice(_REPLACEMENTS))
    return doc
