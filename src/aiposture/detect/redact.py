"""Redaction of detected spans: mask, type placeholder, or a stable pseudonym that can
be restored later.

A `Pseudonymizer` is the mapping for one conversation: the same value always gets
the same token (`<EMAIL_ADDRESS_1>`), a new value of the same type the next number,
and `restore()` puts the values back into text that carries the tokens — a gateway
pseudonymises a prompt, sends it on, and restores the model's answer. The mapping
holds the clear values, so it stays in memory (or in whatever store the caller keeps
secrets in); `to_dict()`/`from_dict()` let a gateway carry it across requests.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import re2

Redaction = Literal["mask", "placeholder", "pseudonym"]
_TOKEN = re2.compile(r"<([A-Z][A-Z0-9_]*?)_(\d{1,6})>")


class Pseudonymizer:
    def __init__(self) -> None:
        self._by_value: dict[tuple[str, str], str] = {}
        self._by_token: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def token_for(self, type_: str, value: str) -> str:
        key = (type_, value)
        token = self._by_value.get(key)
        if token is None:
            n = self._counts.get(type_, 0) + 1
            self._counts[type_] = n
            token = f"<{type_}_{n}>"
            self._by_value[key] = token
            self._by_token[token] = value
        return token

    def restore(self, text: str) -> str:
        """Replace every known token in `text` with its value; unknown tokens stay."""
        if "<" not in text or not self._by_token:
            return text
        return _TOKEN.sub(lambda m: self._by_token.get(m.group(0), m.group(0)), text)

    @property
    def mapping(self) -> dict[str, str]:
        """token -> value (clear text: handle as a secret)."""
        return dict(self._by_token)

    def __len__(self) -> int:
        return len(self._by_token)

    def to_dict(self) -> dict[str, str]:
        return self.mapping

    @classmethod
    def from_dict(cls, mapping: dict[str, str]) -> Pseudonymizer:
        p = cls()
        for token, value in mapping.items():
            m = _TOKEN.fullmatch(token)
            if m is None:
                continue
            type_, n = m.group(1), int(m.group(2))
            p._by_token[token] = value
            p._by_value[(type_, value)] = token
            p._counts[type_] = max(p._counts.get(type_, 0), n)
        return p


def redact(text: str, spans: Iterable[tuple[int, int, str, Redaction]],
           pseudonymizer: Pseudonymizer | None = None) -> str:
    """Replace each (start, end, type, style) span; overlapping spans merge into the
    first (longest) one. `pseudonym` needs a pseudonymizer (a fresh one if None)."""
    ordered = sorted(spans, key=lambda s: (s[0], -(s[1] - s[0])))
    pseudo = pseudonymizer if pseudonymizer is not None else Pseudonymizer()
    out: list[str] = []
    pos = 0
    for start, end, type_, style in ordered:
        if start < pos:
            continue
        out.append(text[pos:start])
        value = text[start:end]
        if style == "mask":
            out.append("*" * len(value))
        elif style == "placeholder":
            out.append(f"<{type_}>")
        else:
            out.append(pseudo.token_for(type_, value))
        pos = end
    out.append(text[pos:])
    return "".join(out)
