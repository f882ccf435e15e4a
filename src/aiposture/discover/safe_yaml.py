"""YAML for hostile files: safe constructors only, bounded aliases, bounded depth.

PyYAML's safe loader never runs code, but two shapes still hurt a scanner:
- an alias bomb ("billion laughs"): a few hundred bytes whose anchors expand to
  billions of nodes as soon as anyone walks or serialises the result;
- deep nesting: libyaml's C composer recurses without a guard and *segfaults* the
  worker at ~100,000 nested `[` (measured), which no `except` can catch.

So the fast C loader runs only on text that cannot be either (no `*` alias marker,
few flow brackets); anything else goes through the pure-Python loader below, which
counts aliases and nesting as it composes and stops early with a clean error.
Multi-document streams are read with a loader instance directly (no `yaml.load`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

MAX_ALIASES = 100
MAX_DEPTH = 100
# Flow brackets above this count might nest deep enough to crash libyaml's composer.
_C_LOADER_MAX_BRACKETS = 2_000


class YamlRefused(yaml.YAMLError):
    """The document is well-formed YAML but too expensive to build safely."""


class BoundedSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias bombs and deep nesting while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D401 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YamlRefused(f"more than {MAX_ALIASES} YAML aliases (alias bomb?)")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlRefused(f"YAML nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _fast_ok(text: str) -> bool:
    return "*" not in text and (text.count("[") + text.count("{")) < _C_LOADER_MAX_BRACKETS


def _documents(loader: yaml.SafeLoader) -> Iterator[Any]:
    try:
        while loader.check_data():
            yield loader.get_data()
    finally:
        loader.dispose()


def load_all(text: str, *, loader: type[BoundedSafeLoader] = BoundedSafeLoader,
             fast: type[yaml.SafeLoader] | None = yaml.CSafeLoader) -> list[Any]:
    """Every document of a YAML stream. Raises yaml.YAMLError (incl. YamlRefused)
    or RecursionError on bad input; callers turn those into MalformedInput.
    `fast` is the C loader class to use when the text is provably harmless."""
    chosen: type[yaml.SafeLoader] = fast if fast is not None and _fast_ok(text) else loader
    return list(_documents(chosen(text)))


def load_one(text: str, **kwargs: Any) -> Any:
    """The first document (or None for an empty stream)."""
    docs = load_all(text, **kwargs)
    return docs[0] if docs else None
