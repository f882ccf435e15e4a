"""Bicep (`.bicep`), read by a small hand-written tokenizer and parser.

Why by hand: there is no Bicep parser for Python. The official one is the .NET
compiler (`bicep build`), which is a separate binary, runs a compiler on hostile
input and is not on PyPI. We need only declarations, so this reads a linear token
stream and understands just: `param`/`var` with literal defaults, `resource <sym>
'<Type>@<api>' [existing] = [if (...)] [[for ...:] {...}]`, nested `resource`
declarations inside a body, and values (strings, numbers, booleans, objects,
arrays). Every other value - function calls, member access, ternaries, loops,
interpolated strings we cannot fill in - is kept as `Expr` source text, which is
also how references (`account.id`, `parent: account`) are seen. The body of each
resource has the same shape as an ARM resource, so ARM and Bicep share checks.
Nesting is bounded; each character is visited once by the tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re2

from aiposture.discover.base import LineIndex, MalformedInput, SourceFile
from aiposture.discover.iac.resource import Expr, IacResource, Template

MAX_DEPTH = 64
_INTERP = re2.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")
_TERMINATORS = frozenset({"\n", "}", "]", ",", ")"})
_CONTINUATION = frozenset("?:.|&+-*/%=!<>")


def claims(name: str, text: str) -> bool:
    return "resource" in text


@dataclass(frozen=True)
class Tok:
    kind: str  # ident | string | number | punct | nl
    text: str  # for strings: the unescaped value (or raw source if interpolated)
    start: int
    end: int
    interp: bool = False


def _skip_comment(text: str, i: int) -> int:
    if text.startswith("//", i):
        j = text.find("\n", i)
        return len(text) if j == -1 else j
    j = text.find("*/", i + 2)
    if j == -1:
        raise MalformedInput("malformed Bicep: unterminated comment")
    return j + 2


def _string(text: str, i: int) -> tuple[Tok, int]:
    """A single-quoted string from text[i] == "'"; `${...}` marks it interpolated."""
    if text.startswith("'''", i):
        j = text.find("'''", i + 3)
        if j == -1:
            raise MalformedInput("malformed Bicep: unterminated multi-line string")
        return Tok("string", text[i + 3:j], i, j + 3), j + 3
    out: list[str] = []
    j, n, interp, braces = i + 1, len(text), False, 0
    while j < n:
        ch = text[j]
        if braces:
            braces += (ch == "{") - (ch == "}")
        elif ch == "\\" and j + 1 < n:
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(text[j + 1], text[j + 1]))
            j += 2
            continue
        elif ch == "'":
            value = text[i + 1:j] if interp else "".join(out)
            return Tok("string", value, i, j + 1, interp), j + 1
        elif ch == "\n":
            break
        elif ch == "$" and text.startswith("${", j):
            interp, braces = True, 1
            j += 2
            continue
        out.append(ch)
        j += 1
    raise MalformedInput("malformed Bicep: unterminated string")


def tokenize(text: str) -> list[Tok]:
    toks: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r":
            i += 1
        elif ch == "\n":
            toks.append(Tok("nl", "\n", i, i + 1))
            i += 1
        elif ch == "/" and text.startswith(("//", "/*"), i):
            i = _skip_comment(text, i)
        elif ch == "'":
            tok, i = _string(text, i)
            toks.append(tok)
        elif ch.isalpha() or ch == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            toks.append(Tok("ident", text[i:j], i, j))
            i = j
        elif ch.isdigit():
            j = i + 1
            while j < n and (text[j].isdigit() or text[j] == "."):
                j += 1
            toks.append(Tok("number", text[i:j], i, j))
            i = j
        else:
            toks.append(Tok("punct", ch, i, i + 1))
            i += 1
    return toks


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.pos = 0
        self.lines = LineIndex(text)
        self.symbols: dict[str, Any] = {}  # param/var name -> literal value
        self.resources: list[IacResource] = []

    # -- token helpers -------------------------------------------------------------
    def peek(self, offset: int = 0) -> Tok | None:
        k = self.pos + offset
        return self.toks[k] if k < len(self.toks) else None

    def is_(self, tok: Tok | None, kind: str, text: str | None = None) -> bool:
        return tok is not None and tok.kind == kind and (text is None or tok.text == text)

    def skip_newlines(self) -> None:
        while self.is_(self.peek(), "nl") or self.is_(self.peek(), "punct", ","):
            self.pos += 1

    def skip_statement(self) -> None:
        """Skip to the end of the current statement (a newline outside brackets)."""
        depth = 0
        while (tok := self.peek()) is not None:
            if tok.kind == "punct" and tok.text in "([{":
                depth += 1
            elif tok.kind == "punct" and tok.text in ")]}":
                depth = max(depth - 1, 0)
            elif tok.kind == "nl" and depth == 0:
                return
            self.pos += 1

    def skip_balanced(self) -> None:
        """From an opening bracket, skip past its matching close."""
        depth = 0
        while (tok := self.peek()) is not None:
            self.pos += 1
            if tok.kind == "punct" and tok.text in "([{":
                depth += 1
            elif tok.kind == "punct" and tok.text in ")]}":
                depth -= 1
                if depth == 0:
                    return

    # -- top level -----------------------------------------------------------------
    def parse(self) -> list[IacResource]:
        while (tok := self.peek()) is not None:
            if tok.kind == "nl":
                self.pos += 1
            elif self.is_(tok, "punct", "@"):
                self.pos += 2  # decorator name, then its argument list if any
                if self.is_(self.peek(), "punct", "("):
                    self.skip_balanced()
            elif self.is_(tok, "ident", "resource") and self.is_(self.peek(1), "ident"):
                self.resource_decl("", None, 0)
            elif self.is_(tok, "ident") and tok.text in ("param", "var") and self.is_(self.peek(1), "ident"):
                self.symbol_decl()
            else:
                self.skip_statement()
        return self.resources

    def symbol_decl(self) -> None:
        self.pos += 1
        name = self.toks[self.pos].text
        self.pos += 1
        while (tok := self.peek()) is not None and tok.kind != "nl" and not self.is_(tok, "punct", "="):
            self.pos += 1  # the type of a param
        if self.is_(self.peek(), "punct", "="):
            self.pos += 1
            value = self.value(0)
            if not isinstance(value, Expr):
                self.symbols[name] = value
        self.skip_statement()

    def resource_decl(self, parent_type: str, parent: str | None, depth: int) -> None:
        start = self.toks[self.pos]
        symbol = self.toks[self.pos + 1].text
        type_tok = self.peek(2)
        self.pos += 3
        if not self.is_(type_tok, "string"):
            self.skip_statement()
            return
        rtype = type_tok.text.split("@", 1)[0]
        if parent_type and "." not in rtype.split("/", 1)[0]:
            rtype = f"{parent_type}/{rtype}"
        existing = self.is_(self.peek(), "ident", "existing")
        if existing:
            self.pos += 1
        if not self.is_(self.peek(), "punct", "="):
            self.skip_statement()
            return
        self.pos += 1
        body, loop = self.resource_body(rtype, symbol, depth)
        if body is None or existing:
            return
        parent_ref = body.get("parent")
        name = body.get("name")
        self.resources.append(IacResource(
            type=rtype, address=symbol, body=body, line=self.lines.line(start.start),
            name=name if isinstance(name, str) and not isinstance(name, Expr) else "",
            refs=(symbol,), parent=parent or (str(parent_ref) if isinstance(parent_ref, str) else None),
            extra={"loop": True} if loop else {},
        ))

    def resource_body(self, rtype: str, symbol: str, depth: int) -> tuple[dict[str, Any] | None, bool]:
        """After `=`: optional `if (...)`, optional `[for ...:` loop, then the object."""
        if self.is_(self.peek(), "ident", "if"):
            self.pos += 1
            if self.is_(self.peek(), "punct", "("):
                self.skip_balanced()
        loop = False
        if self.is_(self.peek(), "punct", "[") and self.is_(self.peek(1), "ident", "for"):
            loop = True
            self.pos += 1
            inner = 0
            while (tok := self.peek()) is not None:
                self.pos += 1
                if tok.kind == "punct" and tok.text in "([{":
                    inner += 1
                elif tok.kind == "punct" and tok.text in ")]}":
                    inner -= 1
                elif tok.kind == "punct" and tok.text == ":" and inner == 0:
                    break
            self.skip_newlines_only()
            if self.is_(self.peek(), "ident", "if"):  # [for x in y: if (cond) {...}]
                self.pos += 1
                if self.is_(self.peek(), "punct", "("):
                    self.skip_balanced()
        if not self.is_(self.peek(), "punct", "{"):
            self.skip_statement()
            return None, loop
        body = self.object(depth + 1, (rtype, symbol))
        if loop:
            self.skip_newlines_only()
            if self.is_(self.peek(), "punct", "]"):
                self.pos += 1
        return body, loop

    def skip_newlines_only(self) -> None:
        while self.is_(self.peek(), "nl"):
            self.pos += 1

    # -- values ----------------------------------------------------------------------
    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise MalformedInput(f"malformed Bicep: nested deeper than {MAX_DEPTH} levels")
        tok = self.peek()
        if tok is None:
            raise MalformedInput("malformed Bicep: value expected at end of file")
        if self.is_(tok, "punct", "{"):
            return self.object(depth + 1, None)
        if self.is_(tok, "punct", "[") and not self.is_(self.peek(1), "ident", "for"):
            return self.array(depth + 1)
        return self.expression()

    def object(self, depth: int, owner: tuple[str, str] | None) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise MalformedInput(f"malformed Bicep: nested deeper than {MAX_DEPTH} levels")
        self.pos += 1  # "{"
        body: dict[str, Any] = {}
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is None:
                raise MalformedInput("malformed Bicep: unclosed '{'")
            if self.is_(tok, "punct", "}"):
                self.pos += 1
                return body
            if self.is_(tok, "punct", "@"):
                self.pos += 2
                if self.is_(self.peek(), "punct", "("):
                    self.skip_balanced()
                continue
            if owner and self.is_(tok, "ident", "resource") and self.is_(self.peek(1), "ident"):
                self.resource_decl(owner[0], owner[1], depth)
                continue
            if tok.kind == "punct" and tok.text in _CONTINUATION:
                self.skip_statement()  # a multi-line expression's next line (`? a`, `: b`, `.x`)
                continue
            if tok.kind not in ("ident", "string") or not self.is_(self.peek(1), "punct", ":"):
                line = self.lines.line(tok.start)
                raise MalformedInput(f"malformed Bicep: unexpected {tok.text!r} at line {line}")
            self.pos += 2
            body[tok.text] = self.value(depth)

    def array(self, depth: int) -> list[Any]:
        self.pos += 1  # "["
        items: list[Any] = []
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is None:
                raise MalformedInput("malformed Bicep: unclosed '['")
            if self.is_(tok, "punct", "]"):
                self.pos += 1
                return items
            items.append(self.value(depth))

    def expression(self) -> Any:
        """A scalar, or everything up to the end of the value as unknown source text."""
        first = self.pos
        depth = 0
        while (tok := self.peek()) is not None:
            if tok.kind == "nl" and depth == 0 and self._continues():
                continue
            if tok.kind in ("punct", "nl") and tok.text in _TERMINATORS and depth == 0:
                break
            if tok.kind == "punct" and tok.text in "([{":
                depth += 1
            elif tok.kind == "punct" and tok.text in ")]}":
                depth -= 1
            self.pos += 1
        toks = self.toks[first:self.pos]
        if not toks:
            raise MalformedInput("malformed Bicep: value expected")
        if len(toks) == 1:
            return self.scalar(toks[0])
        return Expr(self.text[toks[0].start:toks[-1].end])

    def _continues(self) -> bool:
        """At a newline inside a value: does the next line go on with it (`? a`, `: b`)?
        If so, step past the newlines."""
        k = self.pos
        while k < len(self.toks) and self.toks[k].kind == "nl":
            k += 1
        nxt = self.toks[k] if k < len(self.toks) else None
        if nxt is not None and nxt.kind == "punct" and nxt.text in _CONTINUATION:
            self.pos = k
            return True
        return False

    def scalar(self, tok: Tok) -> Any:
        if tok.kind == "string":
            return self.interpolate(tok.text) if tok.interp else tok.text
        if tok.kind == "number":
            try:
                return int(tok.text)
            except ValueError:
                return Expr(tok.text)
        if tok.kind == "ident":
            literal = {"true": True, "false": False, "null": None}
            if tok.text in literal:
                return literal[tok.text]
            if tok.text in self.symbols:
                return self.symbols[tok.text]
        return Expr(tok.text)

    def interpolate(self, raw: str) -> Any:
        """`'${prefix}-oai'` with a literal `prefix` becomes `'contoso-oai'`."""
        unknown = False

        def fill(m: Any) -> str:
            nonlocal unknown
            value = self.symbols.get(m.group(1))
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)
            unknown = True
            return m.group(0)

        filled = _INTERP.subn(fill, raw)[0]
        return Expr(raw) if unknown or "${" in filled else filled


def parse(source: SourceFile, text: str) -> Template:
    try:
        resources = _Parser(text).parse()
    except RecursionError as exc:
        raise MalformedInput("malformed Bicep: nested too deeply") from exc
    return Template(iac="bicep", resources=resources)
