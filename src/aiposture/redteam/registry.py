"""One explicit registry per plugin kind (targets, converters, strategies, scorers,
probe generators): built-ins are listed by dotted path in each kind's `base.py`
caller, third parties come from the entry-point group `aiposture.redteam.<kind>`.
No discovery by `__subclasses__()` and nothing registers itself on import."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from aiposture.errors import InputError


def load_object(target: str) -> Any:
    """Import `module:attribute` (the attribute may be dotted)."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise InputError(f"expected module:attribute, got {target!r}")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"cannot import {module_name}: {exc}") from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise InputError(f"{module_name} has no attribute {attr}") from exc
    return obj


class Registry:
    """Name -> plugin class for one kind. Built-ins are `module:Class` strings whose
    class has a `name` attribute; entry points are named by their plugin name."""

    def __init__(self, kind: str, builtins: Iterable[str]) -> None:
        self.kind = kind
        self._builtins = tuple(builtins)
        self._classes: dict[str, type] | None = None

    @property
    def group(self) -> str:
        return f"aiposture.redteam.{self.kind}"

    def classes(self) -> dict[str, type]:
        if self._classes is None:
            self._classes = dict(_load_all(self.kind, self._builtins, self.group))
        return self._classes

    def names(self) -> list[str]:
        return sorted(self.classes())

    def get(self, name: str) -> type:
        classes = self.classes()
        if name not in classes:
            raise InputError(
                f"unknown {self.kind[:-1] if self.kind.endswith('s') else self.kind} "
                f"{name!r}; known: {', '.join(sorted(classes))}"
            )
        return classes[name]


@cache
def _load_all(kind: str, builtins: tuple[str, ...], group: str) -> tuple[tuple[str, type], ...]:
    found: dict[str, type] = {}
    for target in builtins:
        cls = load_object(target)
        found[cls.name] = cls
    for ep in entry_points(group=group):
        found[ep.name] = ep.load()
    return tuple(found.items())
