"""The notebook scanner: Jupyter notebooks (.ipynb) are JSON whose code cells are Python.

The code cells are joined, in order, into one text and handed to the code scanner's
Python path, so a notebook finds exactly what a .py file would. Locations use the line
within that joined text (markdown cells and outputs are left out); evidence on findings
says "cell N, line M" where N counts every cell of the notebook from 1. `!pip install` /
`%pip install` lines become package assets with the version they pin.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from functools import cache
from typing import Any

import re2

from aiposture.discover.base import MalformedInput, ScanOutput, SourceFile
from aiposture.discover.catalogue import catalogue, package_asset
from aiposture.discover.code import scan_code
from aiposture.discover.manifests.requirement import parse_requirement
from aiposture.discover.textsite import TextSite

_PIP = r"(?m)^[ \t]*[!%]+[ \t]*(?:pip3?|uv[ \t]+pip|python3?[ \t]+-m[ \t]+pip)[ \t]+install[ \t]+([^\n]+)"


@cache
def _pip() -> re2._Regexp:
    return re2.compile(_PIP)


class NotebookScanner:
    name = "notebooks"

    def wants(self, rel: str, name: str, suffix: str) -> bool:
        return suffix == ".ipynb"

    def scan(self, source: SourceFile, out: ScanOutput) -> None:
        text = source.text()
        if text is None:
            raise MalformedInput("notebook: binary or not UTF-8")
        cells = code_cells(text)
        joined, starts, numbers = _join(cells)
        if not joined.strip():
            return

        def describe(line: int) -> str:
            at = bisect_right(starts, line) - 1
            return f"cell {numbers[at]}, line {line - starts[at] + 1}"

        site = TextSite(source.rel, joined, describe)
        scan_code(site, "python", out)
        report_pip_installs(site, out)


def code_cells(text: str) -> list[tuple[int, str]]:
    """(cell number from 1, source) of every code cell; nbformat 4 and 3."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise MalformedInput(f"notebook: invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise MalformedInput("notebook: JSON nested too deep") from exc
    if not isinstance(data, dict):
        raise MalformedInput("notebook: not a JSON object")
    cells: Any = data.get("cells")
    if cells is None and isinstance(data.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in data["worksheets"] if isinstance(ws, dict) for c in ws.get("cells") or []]
    if not isinstance(cells, list):
        raise MalformedInput("notebook: no cells list")
    found = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(part for part in source if isinstance(part, str))
        if isinstance(source, str):
            found.append((number, source))
    return found


def _join(cells: list[tuple[int, str]]) -> tuple[str, list[int], list[int]]:
    """The joined text, the first line of each cell in it, and each cell's number."""
    parts: list[str] = []
    starts: list[int] = []
    numbers: list[int] = []
    line = 1
    for number, source in cells:
        body = source if source.endswith("\n") else source + "\n"
        starts.append(line)
        numbers.append(number)
        parts.append(body)
        line += body.count("\n")
    return "".join(parts), starts, numbers


def report_pip_installs(site: TextSite, out: ScanOutput) -> None:
    if "install" not in site.text:
        return
    index = catalogue()
    for match in _pip().finditer(site.text):
        for token in match.group(1).split():
            token = token.strip("'\"")
            if token.startswith("-") or token.startswith(("#", "$", "{")):
                if token.startswith("#"):
                    break
                continue
            parsed = parse_requirement(token)
            hit = index.package("pypi", parsed[0]) if parsed else None
            if hit is not None and parsed is not None:
                out.asset(package_asset(hit, site.loc(match.start(1)), version=parsed[1]))
