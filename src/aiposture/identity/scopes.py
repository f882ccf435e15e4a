"""Scopes: `model:<glob>` and `tool:<glob>`, derived from a principal's `models` and
`tools`. A scope is held when one of the holder's globs matches it as text, so
`model:gpt-*` holds `model:gpt-4o` but not `model:*`."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

import re2

from aiposture.errors import InputError

_SCOPE = re2.compile(r"^(model|tool):[A-Za-z0-9_.*?/:@\[\]-]{1,256}$")
MAX_SCOPES = 64


class ScopeError(InputError):
    """A requested scope is malformed or not held (OAuth `invalid_scope`)."""


def scopes_of(models: Iterable[str], tools: Iterable[str]) -> list[str]:
    return [f"model:{m}" for m in models] + [f"tool:{t}" for t in tools]


def parse_scope(text: str | None) -> list[str] | None:
    """A space-separated `scope` parameter; None when absent or empty."""
    if text is None or not text.strip():
        return None
    items = text.split()
    if len(items) > MAX_SCOPES:
        raise ScopeError(f"scope: at most {MAX_SCOPES} entries")
    for item in items:
        if not _SCOPE.match(item):
            raise ScopeError(f"scope {item[:80]!r} is not 'model:<glob>' or 'tool:<glob>'")
    return list(dict.fromkeys(items))


def holds(held: Iterable[str], wanted: str) -> bool:
    kind, _, pattern = wanted.partition(":")
    for scope in held:
        k, _, glob = scope.partition(":")
        if k == kind and fnmatch.fnmatchcase(pattern, glob):
            return True
    return False


def intersect(a: list[str], b: list[str]) -> list[str]:
    """Scopes both sides hold (each side's scopes that the other side covers)."""
    out = [s for s in a if holds(b, s)] + [s for s in b if holds(a, s)]
    return list(dict.fromkeys(out))


def narrow(held: list[str], requested: list[str] | None) -> list[str]:
    """The requested scopes when all are held; the held ones when none were asked for."""
    if requested is None:
        return list(held)
    missing = [s for s in requested if not holds(held, s)]
    if missing:
        raise ScopeError(f"scope not held: {' '.join(missing)[:200]}")
    return requested


def allows(scope: Iterable[str], kind: str, name: str) -> bool:
    """Does a granted scope allow using `name` (a model id or tool name)?"""
    prefix = f"{kind}:"
    return any(s.startswith(prefix) and fnmatch.fnmatchcase(name, s[len(prefix):]) for s in scope)
