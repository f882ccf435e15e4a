"""Tool calls in Anthropic Messages answers: `content[]` blocks of type `tool_use`.

A whole answer is filtered in place. A stream sends each block as
`content_block_start` / `content_block_delta` (`input_json_delta` fragments) /
`content_block_stop`; `AnthropicToolStream` holds a `tool_use` block until its stop,
decides it, and releases it whole or drops it. Clients rebuild `content` by the
blocks' `index`, so later blocks are renumbered to close the gap a dropped block
leaves; the note explaining the removal comes as one more text block before
`message_delta`, which carries the `aiposture` object.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiposture.gateway.toolcalls_outcome import CallOutcome, ProposedCall, extension, notes

Authorize = Callable[[ProposedCall], CallOutcome]


def authorize_answer(answer: Any, authorize: Authorize) -> list[CallOutcome]:
    """Decide every `tool_use` block of a message; remove the refused ones in place."""
    if not isinstance(answer, dict) or not isinstance(answer.get("content"), list):
        return []
    outcomes, kept = [], []
    for block in answer["content"]:
        if isinstance(block, dict) and block.get("type") == "tool_use":
            outcome = authorize(ProposedCall(block.get("name"), block.get("input"), block.get("id"), "tool_use"))
            outcomes.append(outcome)
            if outcome.removed:
                continue
        kept.append(block)
    removed = [o for o in outcomes if o.removed]
    if removed:
        kept.append({"type": "text", "text": notes(removed)})
        if answer.get("stop_reason") == "tool_use" and not any(
            isinstance(b, dict) and b.get("type") == "tool_use" for b in kept
        ):
            answer["stop_reason"] = "end_turn"
        answer["content"] = kept
        answer["aiposture"] = extension(outcomes)
    return outcomes


class _Block:
    __slots__ = ("start", "parts", "size", "overflow")

    def __init__(self, start: dict) -> None:
        self.start = start
        self.parts: list[str] = []
        self.size = 0
        self.overflow = False


class AnthropicToolStream:
    """`take(data)` -> (changed, events to send now); `finish()` -> events left at the end."""

    def __init__(self, authorize: Authorize, max_bytes: int) -> None:
        self.authorize = authorize
        self.max_bytes = max_bytes
        self.held: _Block | None = None
        self.shift = 0  # blocks dropped so far: later indices move down by this much
        self.released = 0  # blocks the client has seen start
        self.tool_uses = 0  # tool_use blocks the client got
        self.outcomes: list[CallOutcome] = []
        self.noted = False

    def take(self, data: Any) -> tuple[bool, list[dict]]:
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "content_block_start":
            block = data.get("content_block")
            if isinstance(block, dict) and block.get("type") == "tool_use":
                self.held = _Block(data)
                return True, []
            self.released += 1
        elif kind in ("content_block_delta", "content_block_stop") and self.held is not None:
            if data.get("index") == self.held.start.get("index"):
                return True, self._held_event(kind, data)
        elif kind == "message_delta":
            return True, [*self._note(), self._final(data)]
        if self.shift and kind in ("content_block_start", "content_block_delta", "content_block_stop"):
            index = data.get("index")
            if isinstance(index, int):
                return True, [{**data, "index": index - self.shift}]
        return False, [data]

    def _held_event(self, kind: str, data: dict) -> list[dict]:
        block = self.held
        delta = data.get("delta")
        if kind == "content_block_delta":
            part = delta.get("partial_json") if isinstance(delta, dict) else None
            if isinstance(part, str) and not block.overflow:
                block.size += len(part)
                if block.size > self.max_bytes:
                    block.overflow, block.parts = True, []
                else:
                    block.parts.append(part)
            return []
        return self._settle()

    def _settle(self) -> list[dict]:
        block, self.held = self.held, None
        start = block.start.get("content_block") or {}
        raw = "".join(block.parts)
        arguments: Any = raw if raw.strip() else start.get("input")
        call = ProposedCall(start.get("name"), arguments, start.get("id"), "tool_use", too_large=block.overflow)
        outcome = self.authorize(call)
        self.outcomes.append(outcome)
        if outcome.removed:
            self.shift += 1
            return []
        index = block.start.get("index", 0) - self.shift
        self.released += 1
        self.tool_uses += 1
        return [
            {**block.start, "index": index, "content_block": {**start, "input": {}}},
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "input_json_delta", "partial_json": raw or json.dumps(start.get("input") or {})},
            },
            {"type": "content_block_stop", "index": index},
        ]

    def _note(self) -> list[dict]:
        removed = [o for o in self.outcomes if o.removed]
        if not removed or self.noted:
            return []
        self.noted = True
        index = self.released
        self.released += 1
        return [
            {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
            {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": notes(removed)}},
            {"type": "content_block_stop", "index": index},
        ]

    def _final(self, data: dict) -> dict:
        if not any(o.removed for o in self.outcomes):
            return data
        out = dict(data)
        delta = dict(out.get("delta") or {})
        if delta.get("stop_reason") == "tool_use" and not self.tool_uses:
            delta["stop_reason"] = "end_turn"
        out["delta"] = delta
        out["aiposture"] = extension(self.outcomes)
        return out

    def finish(self) -> list[dict]:
        """At stream end: a block that never stopped is decided; a note not yet sent goes out."""
        out = self._settle() if self.held is not None else []
        return out + self._note()
