"""npm manifests: package.json and package-lock.json (lockfileVersion 1, 2 and 3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from aiposture.discover.base import MalformedInput
from aiposture.discover.manifests.dependency import Dependency

_SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")


def _json(text: str, kind: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MalformedInput(f"{kind}: invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise MalformedInput(f"{kind}: JSON nested too deep") from exc
    if not isinstance(data, dict):
        raise MalformedInput(f"{kind}: not a JSON object")
    return data


def package_json(text: str) -> Iterator[Dependency]:
    data = _json(text, "package.json")
    for section in _SECTIONS:
        table = data.get(section)
        for name, spec in (table.items() if isinstance(table, dict) else []):
            version = spec if isinstance(spec, str) and spec else None
            pinned = bool(version) and version[0].isdigit()
            yield Dependency("npm", name, version, pinned=pinned)


def package_lock(text: str) -> Iterator[Dependency]:
    data = _json(text, "package-lock.json")
    packages = data.get("packages")
    if isinstance(packages, dict):  # lockfileVersion 2 and 3
        for path, meta in packages.items():
            if "node_modules/" not in path or not isinstance(meta, dict):
                continue
            name = path.rsplit("node_modules/", 1)[1]
            version = meta.get("version")
            yield Dependency("npm", name, version if isinstance(version, str) else None, pinned=True)
        return
    yield from _lock_v1(data.get("dependencies"), depth=0)


def _lock_v1(table: Any, depth: int) -> Iterator[Dependency]:
    if not isinstance(table, dict) or depth > 64:
        return
    for name, meta in table.items():
        if not isinstance(meta, dict):
            continue
        version = meta.get("version")
        yield Dependency("npm", name, version if isinstance(version, str) else None, pinned=True)
        yield from _lock_v1(meta.get("dependencies"), depth + 1)


def _split_spec(spec: str) -> tuple[str, str] | None:
    """'@scope/name@^1.2' -> ('@scope/name', '^1.2'); None without a version part."""
    at = spec.rfind("@")
    if at <= 0:
        return None
    return spec[:at], spec[at + 1:]


def yarn_lock(text: str) -> Iterator[Dependency]:
    """yarn.lock, classic (`openai@^4.0.0:` / `  version "4.56.0"`) and Berry
    (`"openai@npm:^4.0.0":` / `  version: 4.56.0`), read line by line: the format is
    neither JSON nor (classic) YAML."""
    pending: tuple[str, int] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line.startswith("#"):
            continue
        if not line[0].isspace():
            pending = None
            if line.endswith(":"):
                first = line[:-1].split(",")[0].strip().strip('"')
                parts = _split_spec(first)
                if parts is not None:
                    pending = (parts[0], number)
            continue
        stripped = line.strip()
        if pending is not None and stripped.startswith("version"):
            version = stripped[len("version"):].strip(' :"')
            yield Dependency("npm", pending[0], version or None, pending[1], pinned=True)
            pending = None


def pnpm_lock(text: str) -> Iterator[Dependency]:
    """pnpm-lock.yaml package keys (`  /openai@4.56.0:` in v6, `  openai@4.56.0:` in v9,
    peer suffixes `(zod@3.23.8)` dropped), read line by line with their line numbers."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("  ") or line.startswith("   ") or not line.rstrip().endswith(":"):
            continue
        key = line.strip()[:-1].strip("'\"").lstrip("/").split("(", 1)[0]
        parts = _split_spec(key)
        if parts is not None and parts[1][:1].isdigit():
            yield Dependency("npm", parts[0], parts[1], number, pinned=True)
