"""Azure Resource Manager (ARM) JSON templates.

A template is JSON with a `$schema` naming `deploymentTemplate` and a `resources`
list (or, in languageVersion 2.0, an object keyed by symbolic name). Resources nest:
a child's `type` is relative to its parent (`deployments` under
`Microsoft.CognitiveServices/accounts`). Template expressions (`"[...]"`) are
resolved only in the trivial cases `parameters('x')` / `variables('x')` with a
literal default; the rest stay unknown. JSON keeps no positions, so each resource's
line is found by searching its `"type"` string forward through the text, in the same
order the parser returned the resources.
"""

from __future__ import annotations

import json
from typing import Any

import re2

from aiposture.discover.base import LineIndex, MalformedInput, SourceFile
from aiposture.discover.iac.resource import Expr, IacResource, Template

_SIMPLE = re2.compile(r"^\s*(parameters|variables)\(\s*'([^']+)'\s*\)\s*$")
_MAX_RESOURCES = 5_000


def claims(name: str, text: str) -> bool:
    return "deploymentTemplate" in text and "resources" in text


class _Resolver:
    def __init__(self, doc: dict[str, Any]) -> None:
        params = doc.get("parameters") if isinstance(doc.get("parameters"), dict) else {}
        self.values: dict[tuple[str, str], Any] = {}
        for name, spec in params.items():
            if isinstance(spec, dict) and "defaultValue" in spec:
                self.values[("parameters", name.lower())] = spec["defaultValue"]
        variables = doc.get("variables") if isinstance(doc.get("variables"), dict) else {}
        for name, value in variables.items():
            self.values[("variables", name.lower())] = value

    def value(self, node: Any, depth: int = 0) -> Any:
        if isinstance(node, str):
            if node.startswith("[") and node.endswith("]") and not node.startswith("[["):
                return self._expr(node[1:-1], depth)
            return node
        if isinstance(node, dict):
            return {k: self.value(v, depth) for k, v in node.items()}
        if isinstance(node, list):
            return [self.value(v, depth) for v in node]
        return node

    def _expr(self, inner: str, depth: int) -> Any:
        m = _SIMPLE.match(inner)
        key = (m.group(1), m.group(2).lower()) if m else None
        if key is not None and key in self.values and depth < 4:
            resolved = self.value(self.values[key], depth + 1)
            if not isinstance(resolved, Expr):
                return resolved
        return Expr(inner)


def _load(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise MalformedInput(f"malformed JSON: {str(exc)[:160]}") from exc
    if not isinstance(doc, dict):
        raise MalformedInput("ARM template is not a JSON object")
    return doc


def _children(node: Any) -> list[tuple[str | None, Any]]:
    """(symbolic name or None, resource) pairs of a `resources` list or object."""
    if isinstance(node, list):
        return [(None, r) for r in node]
    if isinstance(node, dict):
        return list(node.items())
    return []


def parse(source: SourceFile, text: str) -> Template:
    doc = _load(text)
    resolver = _Resolver(doc)
    finder = _LineFinder(text)
    out: list[IacResource] = []
    stack: list[tuple[str | None, Any, str, str | None]] = [
        (sym, res, "", None) for sym, res in reversed(_children(doc.get("resources")))
    ]
    while stack and len(out) < _MAX_RESOURCES:
        symbol, raw, parent_type, parent_addr = stack.pop()
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            continue
        resource = _resource(raw, symbol, parent_type, parent_addr, resolver, finder)
        out.append(resource)
        nested = _children(raw.get("resources"))
        stack.extend((sym, res, resource.type, resource.address) for sym, res in reversed(nested))
    return Template(iac="arm", resources=out)


def _resource(raw: dict[str, Any], symbol: str | None, parent_type: str, parent_addr: str | None,
              resolver: _Resolver, finder: _LineFinder) -> IacResource:
    rtype = raw["type"]
    line = finder.line(rtype)
    if parent_type and "/" not in rtype:
        rtype = f"{parent_type}/{rtype}"
    body = resolver.value({k: v for k, v in raw.items() if k != "resources"})
    raw_name = raw.get("name")
    name = body.get("name")
    refs = [symbol] if symbol else []
    if isinstance(raw_name, str):
        refs.append(raw_name[1:-1] if raw_name.startswith("[") else raw_name)
    if isinstance(name, str) and not isinstance(name, Expr):
        refs.append(name)
    label = symbol or (name if isinstance(name, str) else str(raw_name))
    return IacResource(
        type=rtype, address=f"{rtype}/{label}", body=body, line=line,
        name=name if isinstance(name, str) and not isinstance(name, Expr) else "",
        refs=tuple(dict.fromkeys(r for r in refs if r)), parent=parent_addr,
        extra={"loop": True} if isinstance(raw.get("copy"), dict) else {},
    )


class _LineFinder:
    """Finds each resource's `"type": "..."` in text order."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._index = LineIndex(text)
        self._cursor = 0

    def line(self, rtype: str) -> int | None:
        pos = self._text.find(json.dumps(rtype), self._cursor)
        if pos == -1:
            return None
        self._cursor = pos + 1
        return self._index.line(pos)
