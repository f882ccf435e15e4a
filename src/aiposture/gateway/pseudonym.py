"""Pseudonyms in streamed answers. The mapping itself is the guard's
`aiposture.detect.redact.Pseudonymizer` (one per request: sensitive spans become
`<EMAIL_ADDRESS_1>`-style tokens before the prompt leaves, and the tokens in the
answer turn back into the values before it reaches the caller). What a stream adds is
that a token may arrive split across chunks, so the tail that could be the start of
one is held back until the next chunk."""

from __future__ import annotations

from aiposture.detect.redact import Pseudonymizer

__all__ = ["Pseudonymizer", "StreamRestorer"]

_MAX_HOLD = 48  # longest token we may have to hold back in a stream


class StreamRestorer:
    """Restores placeholders in streamed text, holding back a tail that might be the
    start of a placeholder split across chunks."""

    def __init__(self, pseudonyms: Pseudonymizer) -> None:
        self.pseudonyms = pseudonyms
        self.carry = ""

    def feed(self, text: str) -> str:
        text = self.carry + text
        cut = text.rfind("<")
        if cut != -1 and ">" not in text[cut:] and len(text) - cut <= _MAX_HOLD:
            self.carry, text = text[cut:], text[:cut]
        else:
            self.carry = ""
        return self.pseudonyms.restore(text)

    def flush(self) -> str:
        text, self.carry = self.carry, ""
        return self.pseudonyms.restore(text)
