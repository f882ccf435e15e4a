"""Python manifests: requirements*.txt, pyproject.toml (PEP 621, PEP 735 groups, Poetry,
PDM, uv), poetry.lock, Pipfile and Pipfile.lock."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from typing import Any

from aiposture.discover.base import MalformedInput
from aiposture.discover.manifests.dependency import Dependency
from aiposture.discover.manifests.requirement import parse_requirement, requirement_lines


def requirements(text: str) -> Iterator[Dependency]:
    for name, version, pinned, line in requirement_lines(text):
        yield Dependency("pypi", name, version, line, pinned, requirements_file=True)


def _toml(text: str, kind: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MalformedInput(f"{kind}: invalid TOML: {exc}") from exc
    except RecursionError as exc:
        raise MalformedInput(f"{kind}: TOML nested too deep") from exc


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, str))


def _pep508(values: Iterator[str]) -> Iterator[Dependency]:
    for value in values:
        parsed = parse_requirement(value)
        if parsed is not None:
            name, version, pinned = parsed
            yield Dependency("pypi", name, version, pinned=pinned)


def _poetry_table(table: Any) -> Iterator[Dependency]:
    """Poetry's `name = "^1.2"` or `name = {version = "^1.2", extras = [...]}`."""
    if not isinstance(table, dict):
        return
    for name, spec in table.items():
        if name.lower() == "python":
            continue
        if isinstance(spec, dict):
            spec = spec.get("version")
        version = spec if isinstance(spec, str) and spec not in ("*", "") else None
        pinned = bool(version) and version[0].isdigit()
        yield Dependency("pypi", name, version, pinned=pinned)


def _table(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def pyproject(text: str) -> Iterator[Dependency]:
    data = _toml(text, "pyproject.toml")
    project = _table(data, "project") or {}
    yield from _pep508(_strings(_table(project, "dependencies")))
    for group in (_table(project, "optional-dependencies") or {}).values():
        yield from _pep508(_strings(group))
    for group in (_table(data, "dependency-groups") or {}).values():
        yield from _pep508(_strings(group))
    yield from _pep508(_strings(_table(data, "tool", "uv", "dev-dependencies")))
    for group in (_table(data, "tool", "pdm", "dev-dependencies") or {}).values():
        yield from _pep508(_strings(group))
    poetry = _table(data, "tool", "poetry") or {}
    yield from _poetry_table(_table(poetry, "dependencies"))
    yield from _poetry_table(_table(poetry, "dev-dependencies"))
    groups = _table(poetry, "group")
    for group in (groups.values() if isinstance(groups, dict) else []):
        yield from _poetry_table(_table(group, "dependencies"))


def poetry_lock(text: str) -> Iterator[Dependency]:
    data = _toml(text, "poetry.lock")
    for package in data.get("package", []) if isinstance(data.get("package"), list) else []:
        if isinstance(package, dict) and isinstance(package.get("name"), str):
            version = package.get("version")
            yield Dependency("pypi", package["name"], version if isinstance(version, str) else None,
                             pinned=True)


def pipfile(text: str) -> Iterator[Dependency]:
    data = _toml(text, "Pipfile")
    for section in ("packages", "dev-packages"):
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        for name, spec in table.items():
            if isinstance(spec, dict):
                spec = spec.get("version")
            version = spec if isinstance(spec, str) and spec not in ("*", "") else None
            pinned = bool(version) and version.startswith("==") and "*" not in version
            yield Dependency("pypi", name, version.lstrip("=") if pinned and version else version,
                             pinned=pinned)


def pipfile_lock(text: str) -> Iterator[Dependency]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MalformedInput(f"Pipfile.lock: invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise MalformedInput("Pipfile.lock: JSON nested too deep") from exc
    if not isinstance(data, dict):
        raise MalformedInput("Pipfile.lock: not a JSON object")
    for section in ("default", "develop"):
        table = data.get(section)
        for name, spec in (table.items() if isinstance(table, dict) else []):
            version = spec.get("version") if isinstance(spec, dict) else None
            version = version.lstrip("=") if isinstance(version, str) else None
            yield Dependency("pypi", name, version, pinned=version is not None)
