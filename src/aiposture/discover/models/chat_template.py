"""Chat templates (Jinja2) shipped in model metadata, checked from the parse tree
only: `jinja2.Environment().parse` builds the AST, nothing is compiled or rendered.

A template that reaches Python internals (dunder or private attributes, the
`__globals__` of a helper, `__subclasses__`) runs code when rendered outside a
sandbox (CVE-2024-34359). Attribute names or subscripts computed at render time are
how such access is hidden, so they are reported too."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
from jinja2 import nodes

# Globals every template can reach whose attributes lead to Python objects
# (`cycler.__init__.__globals__.os`, `self._TemplateReference__context`); chat
# templates have no use for them.
_ENTRY_POINTS = frozenset({"self", "cycler", "joiner", "lipsum"})
_STRING_BUILDERS = (nodes.Concat, nodes.Add, nodes.Mod, nodes.Filter, nodes.Call, nodes.CondExpr)


@dataclass(frozen=True)
class TemplateFinding:
    critical: bool  # True: reaches Python internals; False: suspicious construct
    detail: str
    line: int | None


def check_template(source: str) -> list[TemplateFinding]:
    try:
        tree = jinja2.Environment().parse(source)
    except jinja2.TemplateSyntaxError as exc:
        return [TemplateFinding(False, f"does not parse: {exc.message}", exc.lineno)]
    except (RecursionError, MemoryError):
        return [TemplateFinding(False, "too deeply nested to parse", None)]
    findings: list[TemplateFinding] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Name)):
        finding = _check_node(node)
        if finding is not None:
            findings.append(finding)
    return findings


def _is_private(name: str) -> bool:
    return name.startswith("_")


def _check_node(node: nodes.Node) -> TemplateFinding | None:
    line = getattr(node, "lineno", None)
    if isinstance(node, nodes.Getattr):
        if _is_private(node.attr):
            return TemplateFinding(True, f"accesses attribute {node.attr!r}", line)
        if isinstance(node.node, nodes.Name) and node.node.name in _ENTRY_POINTS:
            return TemplateFinding(False, f"reads {node.node.name}.{node.attr}", line)
        return None
    if isinstance(node, nodes.Getitem):
        arg = node.arg
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str) and _is_private(arg.value):
            return TemplateFinding(True, f"accesses item {arg.value!r}", line)
        if isinstance(arg, _STRING_BUILDERS):
            return TemplateFinding(False, "subscript computed at render time", line)
        return None
    if isinstance(node, nodes.Filter) and node.name == "attr":
        arg = node.args[0] if node.args else None
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
            if _is_private(arg.value):
                return TemplateFinding(True, f"attr filter reaches {arg.value!r}", line)
            return None
        return TemplateFinding(False, "attr filter with a computed name", line)
    if isinstance(node, nodes.Name) and node.name in _ENTRY_POINTS and node.ctx == "load":
        return TemplateFinding(False, f"uses the global {node.name!r}", line)
    return None
