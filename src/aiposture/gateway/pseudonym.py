"""Pseudonymisation for one request: sensitive spans become placeholders such as
`[EMAIL_ADDRESS_1]` before the prompt leaves, and the placeholders in the answer are
turned back into the values before it reaches the caller.

Numbering follows first appearance in the request, so the same conversation history
yields the same placeholders turn after turn, and the same value always gets the
same placeholder within a request. Values never leave this object.
"""

from __future__ import annotations

import re2

_PLACEHOLDER = re2.compile(r"\[[A-Z][A-Z0-9_]{0,40}_[0-9]{1,6}\]")
_MAX_HOLD = 48  # longest placeholder we may have to hold back in a stream


class Pseudonymizer:
    def __init__(self) -> None:
        self._by_value: dict[str, str] = {}
        self._by_token: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def __bool__(self) -> bool:
        return bool(self._by_token)

    def token_for(self, value: str, type_: str) -> str:
        token = self._by_value.get(value)
        if token is None:
            label = "".join(c if c.isalnum() else "_" for c in type_.upper())[:40] or "VALUE"
            self._counts[label] = self._counts.get(label, 0) + 1
            token = f"[{label}_{self._counts[label]}]"
            self._by_value[value] = token
            self._by_token[token] = value
        return token

    def restore(self, text: str) -> str:
        if not self._by_token or "[" not in text:
            return text
        return _PLACEHOLDER.sub(lambda m: self._by_token.get(m.group(0), m.group(0)), text)


class StreamRestorer:
    """Restores placeholders in streamed text, holding back a tail that might be the
    start of a placeholder split across chunks."""

    def __init__(self, pseudonyms: Pseudonymizer) -> None:
        self.pseudonyms = pseudonyms
        self.carry = ""

    def feed(self, text: str) -> str:
        text = self.carry + text
        cut = text.rfind("[")
        if cut != -1 and "]" not in text[cut:] and len(text) - cut <= _MAX_HOLD:
            self.carry, text = text[cut:], text[:cut]
        else:
            self.carry = ""
        return self.pseudonyms.restore(text)

    def flush(self) -> str:
        text, self.carry = self.carry, ""
        return self.pseudonyms.restore(text)
