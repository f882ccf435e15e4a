"""Terraform (`.tf`): parsed with python-hcl2, a real HCL2 parser, never by regex.

python-hcl2 (v5+) returns strings with their HCL quotes kept (`'"eastus"'`),
expressions as `'${var.x}'` and blocks as lists of dicts marked `__is_block__`;
`_normalise` turns that into plain values, resolving `var.*` from variable defaults
(this file, then the module's `variables.tf` / `terraform.tfvars`) and `local.*`
from this file's locals. Anything else stays an `Expr` (unknown). Line numbers come
from one RE2 pass over the block headers.

Speed: python-hcl2 builds its Lark parser with `propagate_positions=True`, which we do
not use (positions come from the header pass) and which costs about a third of the
parse. `_hcl_parser` re-loads hcl2's own parser with that option off (Lark allows
overriding it at load) and feeds the tree to hcl2's own transform/serialize, so the
output is hcl2's (a test checks they agree); if hcl2 or Lark change shape, it falls
back to `hcl2.loads`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import hcl2
import re2

from aiposture.discover.base import LineIndex, MalformedInput, SourceFile
from aiposture.discover.iac.catalog import terraform_markers
from aiposture.discover.iac.resource import Expr, IacResource, Template

_HEADER = re2.compile(r'(?m)^[ \t]*(resource|module)[ \t]+"([^"\n]+)"(?:[ \t]+"([^"\n]+)")?')
_SIBLING_FILES = ("variables.tf", "terraform.tfvars")
_MAX_CONTEXT = 4 * 1024 * 1024
MAX_PARSE_BYTES = 256 * 1024
_BLOCK_KINDS = frozenset(
    {"variable", "resource", "module", "locals", "data", "provider", "terraform", "output"}
)


def claims(name: str, text: str) -> bool:
    """Parse only files that mention a catalogued type or module: HCL parsing is the
    slowest step of discovery (~25 µs per byte), and most Terraform is not AI."""
    return ("resource" in text or "module" in text) and any(m in text for m in terraform_markers())


def _unquote(text: str) -> str:
    return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")


class _Scope:
    """Resolves `var.x` / `local.x` to literal values where the module states them."""

    def __init__(self, doc: dict[str, Any], folder: Path | None, own_name: str) -> None:
        self._doc = doc
        self._folder = folder
        self._own = own_name
        self._vars: dict[str, Any] | None = None
        self.locals: dict[str, Any] = {}

    def variables(self) -> dict[str, Any]:
        if self._vars is None:
            found: dict[str, Any] = {}
            if self._folder is not None:
                for fname in _SIBLING_FILES:
                    if fname != self._own:
                        found.update(_sibling_values(self._folder / fname))
            found.update(_variable_defaults(self._doc))
            self._vars = found
        return self._vars

    def resolve(self, expr: str) -> Any:
        head, _, rest = expr.partition(".")
        if rest and rest.replace("_", "").replace("-", "").isalnum():
            if head == "var" and rest in self.variables():
                return self.variables()[rest]
            if head == "local" and rest in self.locals:
                return self.locals[rest]
        return Expr(expr)


def _plain(value: Any, scope: _Scope | None) -> Any:
    """HCL parser output -> plain JSON-like data (see module docstring)."""
    if isinstance(value, str):
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            inner = _unquote(value)
            return Expr(inner) if "${" in inner else inner
        if value.startswith("${") and value.endswith("}"):
            inner = value[2:-1].strip()
            return scope.resolve(inner) if scope else Expr(inner)
        return Expr(value)
    if isinstance(value, dict):
        return {_plain_key(k): _plain(v, scope) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_plain(v, scope) for v in value]
    return value


def _plain_key(key: Any) -> str:
    key = str(key)
    return _unquote(key) if len(key) >= 2 and key[0] == '"' and key[-1] == '"' else key


def _blocks(doc: dict[str, Any], kind: str) -> list[tuple[str, Any]]:
    """(label, body) pairs of the top-level blocks of one kind."""
    pairs: list[tuple[str, Any]] = []
    entries = doc.get(kind)
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            pairs.extend((_plain_key(k), v) for k, v in entry.items() if k != "__is_block__")
    return pairs


def _variable_defaults(doc: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for name, body in _blocks(doc, "variable"):
        if isinstance(body, dict) and "default" in body:
            found[name] = _plain(body["default"], None)
    for name, value in doc.items():  # tfvars: top-level attributes
        if name not in _BLOCK_KINDS:
            found[name] = _plain(value, None)
    return found


@lru_cache(maxsize=256)
def _sibling_cached(path: str, mtime_ns: int, size: int) -> tuple[tuple[str, Any], ...]:
    try:
        doc = _hcl_parser()(Path(path).read_text(encoding="utf-8"))
    except Exception:  # a broken sibling is reported when it is scanned itself
        return ()
    return tuple(_variable_defaults(doc).items())


def _sibling_values(path: Path) -> dict[str, Any]:
    try:
        st = path.stat()
    except OSError:
        return {}
    if st.st_size > 1024 * 1024:
        return {}
    return dict(_sibling_cached(str(path), st.st_mtime_ns, st.st_size))


@lru_cache(maxsize=64)
def _folder_text_cached(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> str:
    parts, total = [], 0
    for name, _mtime, size in stamp:
        if total + size > _MAX_CONTEXT:
            break
        try:
            parts.append(Path(folder, name).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        total += size
    return "\n".join(parts)


def _folder_text(path: Path) -> str:
    """The other `.tf` files of the module, for cross-file references (a private
    endpoint declared in `network.tf` for an account in `main.tf`)."""
    try:
        with os.scandir(path.parent) as entries:
            stamp = tuple(sorted(
                (e.name, e.stat().st_mtime_ns, e.stat().st_size)
                for e in entries
                if e.name.endswith(".tf") and e.name != path.name and e.is_file()
            ))
    except OSError:
        return ""
    return _folder_text_cached(str(path.parent), stamp)


@lru_cache(maxsize=1)
def _hcl_parser() -> Callable[[str], Any]:
    try:
        import hcl2.parser as hcl2_parser
        from hcl2.api import serialize, transform
        from hcl2.postlexer import PostLexer
        from lark import Lark

        buffer = io.BytesIO()
        hcl2_parser.parser().save(buffer)
        buffer.seek(0)
        lark = Lark.__new__(Lark)._load(buffer, propagate_positions=False, postlex=PostLexer())
    except Exception:  # noqa: BLE001 - any drift in private APIs: use the public one
        return hcl2.loads

    def loads(text: str) -> Any:
        return serialize(transform(lark.parse(text + "\n")))

    return loads


def parse(source: SourceFile, text: str) -> Template:
    if len(text) > MAX_PARSE_BYTES:
        raise MalformedInput(f"Terraform file over {MAX_PARSE_BYTES // 1024} KiB is not parsed "
                             "(the HCL parser would take seconds)")
    try:
        doc = _hcl_parser()(text)
    except Exception as exc:  # lark raises many types; all mean "not valid HCL"
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise MalformedInput(f"malformed HCL: {first}") from exc
    if not isinstance(doc, dict):
        raise MalformedInput("malformed HCL: no top-level body")
    scope = _Scope(doc, source.path.parent if source.path else None, source.name)
    for _name, body in _blocks(doc, "locals"):
        if isinstance(body, dict):
            scope.locals.update({k: _plain(v, None) for k, v in body.items() if k != "__is_block__"})
    lines = _header_lines(text)
    resources = _resources(doc, scope, lines) + _modules(doc, scope, lines)
    template = Template(iac="terraform", resources=resources)
    template.context = lambda: _folder_text(source.path)
    return template


def _header_lines(text: str) -> dict[tuple[str, str], int]:
    index = LineIndex(text)
    found: dict[tuple[str, str], int] = {}
    for m in _HEADER.finditer(text):
        key = (m.group(2), m.group(3) or "") if m.group(1) == "resource" else ("module", m.group(2))
        found.setdefault(key, index.line(m.start(1)))
    return found


def _resources(doc: dict[str, Any], scope: _Scope, lines: dict[tuple[str, str], int]) -> list[IacResource]:
    out = []
    for rtype, named in _blocks(doc, "resource"):
        if not isinstance(named, dict):
            continue
        for raw_name, raw_body in named.items():
            if raw_name == "__is_block__" or not isinstance(raw_body, dict):
                continue
            name = _plain_key(raw_name)
            body = _plain(raw_body, scope)
            extra = {k: body[k] for k in ("count", "for_each") if k in body}
            literal = body.get("name")
            out.append(IacResource(
                type=rtype, address=f"{rtype}.{name}", body=body, line=lines.get((rtype, name)),
                name=literal if isinstance(literal, str) and not isinstance(literal, Expr) else "",
                refs=(f"{rtype}.{name}",), extra={k: str(v) for k, v in extra.items()},
            ))
    return out


def _modules(doc: dict[str, Any], scope: _Scope, lines: dict[tuple[str, str], int]) -> list[IacResource]:
    out = []
    for name, raw_body in _blocks(doc, "module"):
        if not isinstance(raw_body, dict):
            continue
        body = _plain(raw_body, scope)
        source = body.get("source")
        if not isinstance(source, str) or isinstance(source, Expr):
            continue
        extra = {"module_source": source}
        if isinstance(body.get("version"), str):
            extra["module_version"] = body["version"]
        out.append(IacResource(type="module", address=f"module.{name}", body=body,
                               line=lines.get(("module", name)), refs=(f"module.{name}",), extra=extra))
    return out
