"""Tool calls in OpenAI chat completions (and Azure's, the same shape): find them,
let the gate decide, remove what it refused, explain.

A whole answer has `choices[].message.tool_calls` (and the legacy
`message.function_call`). A stream assembles them from deltas by index
(`delta.tool_calls[].index`, first with id and name, then argument fragments), so
`OpenAIToolStream` holds every tool-call fragment back until the choice finishes
(`finish_reason`) or the stream ends, then releases each allowed call as one
complete delta and drops the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiposture.gateway.toolcalls_outcome import CallOutcome, ProposedCall, extension, notes

Authorize = Callable[[ProposedCall], CallOutcome]


def _append_note(message: dict, note: str) -> None:
    content = message.get("content")
    if isinstance(content, str) and content:
        message["content"] = f"{content}\n\n{note}"
    elif isinstance(content, list):
        content.append({"type": "text", "text": note})
    else:
        message["content"] = note


def authorize_answer(answer: Any, authorize: Authorize) -> list[CallOutcome]:
    """Decide every proposed call in a chat completion; remove the refused ones in place."""
    outcomes: list[CallOutcome] = []
    if not isinstance(answer, dict) or not isinstance(answer.get("choices"), list):
        return outcomes
    for position, choice in enumerate(answer["choices"]):
        if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
            continue
        index = choice.get("index") if isinstance(choice.get("index"), int) else position
        found = _authorize_message(choice["message"], index, authorize)
        outcomes += found
        removed = [o for o in found if o.removed]
        if not removed:
            continue
        message = choice["message"]
        _append_note(message, notes(removed))
        if not message.get("tool_calls") and not message.get("function_call"):
            message.pop("tool_calls", None)
            message.pop("function_call", None)
            if choice.get("finish_reason") in ("tool_calls", "function_call"):
                choice["finish_reason"] = "stop"
    if any(o.removed for o in outcomes):
        answer["aiposture"] = extension(outcomes)
    return outcomes


def _authorize_message(message: dict, choice: int, authorize: Authorize) -> list[CallOutcome]:
    outcomes = []
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        kept = []
        for item in calls:
            function = item.get("function") if isinstance(item, dict) else None
            function = function if isinstance(function, dict) else {}
            call = ProposedCall(
                name=function.get("name"),
                arguments=function.get("arguments"),
                id=item.get("id") if isinstance(item, dict) else None,
                source="tool_calls",
                choice=choice,
            )
            outcome = authorize(call)
            outcomes.append(outcome)
            if not outcome.removed:
                kept.append(item)
        message["tool_calls"] = kept
    legacy = message.get("function_call")
    if isinstance(legacy, dict):
        call = ProposedCall(legacy.get("name"), legacy.get("arguments"), None, "function_call", choice)
        outcome = authorize(call)
        outcomes.append(outcome)
        if outcome.removed:
            del message["function_call"]
    return outcomes


class _Pending:
    """One tool call being assembled from stream fragments."""

    __slots__ = ("id", "type", "name", "parts", "legacy", "size", "limit", "overflow")

    def __init__(self, legacy: bool, limit: int) -> None:
        self.id: str | None = None
        self.type = "function"
        self.name = ""
        self.parts: list[str] = []
        self.legacy = legacy
        self.size, self.limit, self.overflow = 0, limit, False

    def add(self, fragment: dict) -> None:
        if isinstance(fragment.get("id"), str):
            self.id = fragment["id"]
        if isinstance(fragment.get("type"), str):
            self.type = fragment["type"]
        function = fragment if self.legacy else fragment.get("function")
        if isinstance(function, dict):
            if isinstance(function.get("name"), str) and len(self.name) < 256:
                self.name += function["name"]
            part = function.get("arguments")
            if isinstance(part, str) and not self.overflow:
                self.size += len(part)
                if self.size > self.limit:  # stop keeping it; the call is refused for its size
                    self.overflow, self.parts = True, []
                else:
                    self.parts.append(part)


class OpenAIToolStream:
    """Filters a chat-completion stream: `take(data)` returns the events to send now
    (JSON objects: originals or rewritten ones), `finish()` what is left at the end.
    Fragments beyond `max_bytes` per call stop being kept; the call is then refused."""

    def __init__(self, authorize: Authorize, max_bytes: int) -> None:
        self.authorize = authorize
        self.max_bytes = max_bytes
        self.calls: dict[tuple[int, Any], _Pending] = {}
        self.template: dict = {}
        self.outcomes: list[CallOutcome] = []

    def take(self, data: Any) -> tuple[bool, list[dict]]:
        """(changed, events): changed is False when `data` goes out untouched."""
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            return False, [data]
        self.template = {k: v for k, v in data.items() if k not in ("choices", "usage")}
        changed, out, keep = False, [], []
        for choice in data["choices"]:
            if not isinstance(choice, dict):
                keep.append(choice)
                continue
            delta, index = choice.get("delta"), choice.get("index", 0)
            if isinstance(delta, dict) and self._hold(index, delta):
                changed = True
            if choice.get("finish_reason") and any(k[0] == index for k in self.calls):
                changed = True
                out += self._settle(choice)
                continue
            if not isinstance(delta, dict) or delta or choice.get("logprobs"):
                keep.append(choice)
        if not changed:
            return False, [data]
        if keep or data.get("usage"):
            out.insert(0, {**data, "choices": keep})
        return True, out

    def _hold(self, index: int, delta: dict) -> bool:
        held = False
        fragments = delta.pop("tool_calls", None)
        if isinstance(fragments, list):
            held = True
            for fragment in fragments:
                if isinstance(fragment, dict):
                    self._pending(index, fragment.get("index", 0), False).add(fragment)
        legacy = delta.pop("function_call", None)
        if isinstance(legacy, dict):
            held = True
            self._pending(index, "function_call", True).add(legacy)
        if held and delta.get("content") in (None, ""):
            delta.pop("content", None)
        return held

    def _pending(self, choice: int, key: Any, legacy: bool) -> _Pending:
        pending = self.calls.get((choice, key))
        if pending is None:
            pending = self.calls[(choice, key)] = _Pending(legacy, self.max_bytes)
        return pending

    def _settle(self, choice: dict) -> list[dict]:
        """Decide the calls of one finished choice; the events that replace its finish."""
        index = choice.get("index", 0)
        mine = sorted((k for k in self.calls if k[0] == index), key=lambda k: str(k[1]))
        allowed: list[_Pending] = []
        removed: list[CallOutcome] = []
        for key in mine:
            pending = self.calls.pop(key)
            call = ProposedCall(
                name=pending.name,
                arguments="".join(pending.parts),
                id=pending.id,
                source="function_call" if pending.legacy else "tool_calls",
                choice=index,
                too_large=pending.overflow,
            )
            outcome = self.authorize(call)
            self.outcomes.append(outcome)
            if outcome.removed:
                removed.append(outcome)
            else:
                allowed.append(pending)
        out = [self._call_event(index, position, pending) for position, pending in enumerate(allowed)]
        finish = {**choice, "delta": {}}
        if removed:
            out.append(self._event(index, {"content": "\n\n" + notes(removed)}))
            if not allowed and finish.get("finish_reason") in ("tool_calls", "function_call"):
                finish["finish_reason"] = "stop"
        event = {**self.template, "choices": [finish]}
        if removed:
            event["aiposture"] = extension(self.outcomes)
        out.append(event)
        return out

    def _call_event(self, index: int, position: int, pending: _Pending) -> dict:
        arguments = "".join(pending.parts)
        if pending.legacy:
            return self._event(index, {"function_call": {"name": pending.name, "arguments": arguments}})
        fragment = {
            "index": position,
            "id": pending.id,
            "type": pending.type,
            "function": {"name": pending.name, "arguments": arguments},
        }
        return self._event(index, {"tool_calls": [fragment]})

    def _event(self, index: int, delta: dict) -> dict:
        return {**self.template, "choices": [{"index": index, "delta": delta, "finish_reason": None}]}

    def finish(self) -> list[dict]:
        """At stream end: decide calls whose choice never finished."""
        out = []
        for index in sorted({k[0] for k in self.calls}):
            out += self._settle({"index": index, "finish_reason": "tool_calls"})
        return out
