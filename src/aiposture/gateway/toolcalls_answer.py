"""The tool gate applied to a model's answer, whole or streamed, in its dialect.

Text is read first for smuggled invocations (neutralised, explained), then the
structured calls are decided (`toolcalls_openai`, `toolcalls_anthropic`). In a
stream, `ToolStream` sits between the upstream's events and the client: it
returns the events to release now (tool-call fragments are held until the call is
complete) and, on each window of text the guard reads, refuses the rest of the
stream when the text carries a smuggled call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiposture.gateway.errors import forbidden
from aiposture.gateway.messages import response_slots
from aiposture.gateway.toolcalls_anthropic import AnthropicToolStream
from aiposture.gateway.toolcalls_anthropic import authorize_answer as anthropic_answer
from aiposture.gateway.toolcalls_caller import Caller, request_sensitivity
from aiposture.gateway.toolcalls_openai import OpenAIToolStream
from aiposture.gateway.toolcalls_openai import authorize_answer as openai_answer
from aiposture.gateway.toolcalls_outcome import MAX_ARGUMENT_BYTES, CallOutcome, extension, notes
from aiposture.gateway.tools import ToolGate

_DIALECTS = {"chat": (openai_answer, OpenAIToolStream), "anthropic": (anthropic_answer, AnthropicToolStream)}


def gate_answer(gate: ToolGate, caller: Caller, kind: str, answer: Any) -> list[CallOutcome]:
    """Decide every call in a whole answer, removing and explaining refused ones in place."""
    smuggled: list[CallOutcome] = []
    for slot in response_slots(kind, answer):
        text, found = gate.smuggled(caller, slot.text)
        if found:
            slot.text = f"{text}\n\n{notes(found)}"
            smuggled += found
    outcomes: list[CallOutcome] = []
    if kind in _DIALECTS:
        outcomes = _DIALECTS[kind][0](answer, lambda call: gate.authorize(caller, call))
    if smuggled:
        removed = [o for o in outcomes if o.removed] + smuggled
        answer["aiposture"] = extension(removed)
    return outcomes + smuggled


class ToolStream:
    """`take(event)` -> events to send now; `finish()` -> what is left at the end;
    `check_text(window)` raises 403 on a smuggled call. `make_event(lines)` builds an
    SSE event the stream relay can render."""

    def __init__(self, gate: ToolGate, caller: Caller, kind: str, make_event: Callable[[list[str]], Any]) -> None:
        self.gate, self.caller, self.kind = gate, caller, kind
        self.make_event = make_event
        dialect = _DIALECTS.get(kind)
        authorize = lambda call: gate.authorize(caller, call)  # noqa: E731
        self.filter = dialect[1](authorize, MAX_ARGUMENT_BYTES) if dialect else None

    def _event(self, data: dict) -> Any:
        lines = ["data: " + json.dumps(data)]
        if self.kind == "anthropic":
            lines.insert(0, f"event: {data.get('type')}")
        return self.make_event(lines)

    def take(self, event: Any) -> list[Any]:
        if self.filter is None:
            return [event]
        changed, datas = self.filter.take(event.data)
        return [self._event(d) for d in datas] if changed else [event]

    def finish(self) -> list[Any]:
        return [self._event(d) for d in self.filter.finish()] if self.filter is not None else []

    def check_text(self, window: str) -> None:
        _, found = self.gate.smuggled(self.caller, window)
        if found:
            raise forbidden(
                f"response refused: {found[0].reasons[0]}",
                "tool_call_smuggled",
                policy=",".join(found[0].policies) or "access",
            )


def gate_request(gw: Any, request: Any, ctx: Any, policy: Any) -> Caller | None:
    """For a model request: who calls, in which context, and may they use the model.
    None when no access policy is configured (tool calls then pass unchecked)."""
    gate: ToolGate | None = gw.tools
    if gate is None:
        return None
    caller = gate.caller(
        ctx.principal,
        request_id=ctx.request_id,
        headers=request.headers,
        claims=ctx.claims,
        end_user=ctx.end_user,
        client_ip=ctx.client_ip,
        base_url=str(request.base_url),
    )
    caller.model = ctx.model
    caller.sensitivity = request_sensitivity(policy, ctx.verdict)
    gate.check_model(caller, ctx.model)
    return caller
