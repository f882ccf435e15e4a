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
