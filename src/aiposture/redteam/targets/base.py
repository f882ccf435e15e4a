"""The contract of a target and the rendering every chat protocol shares.

A target turns a `ChatRequest` (conversation + the app's system prompt, tools and
documents) into a `TargetReply`. Transport trouble raises `TargetError`; the runner
retries those marked `retryable` with backoff. Config errors raise `InputError`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from aiposture.errors import AIPostureError
from aiposture.redteam.model import ChatRequest, Document, Message, TargetReply, ToolCall


class TargetError(AIPostureError):
    """The target could not be reached or answered nonsense."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class Target(ABC):
    """One endpoint. `name` is the registry key used in a target YAML's `type`."""

    name: ClassVar[str]
    description: ClassVar[str] = ""

    @abstractmethod
    async def send(self, request: ChatRequest) -> TargetReply:
        """Send one request and return the reply; raise TargetError on failure."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def describe(self) -> str:
        return self.name


def context_block(documents: list[Document]) -> str:
    """Retrieved documents, mails and pages as the app would paste them into its prompt."""
    parts = [f"[{d.kind} {d.id}]\n{d.text}" for d in documents if d.kind != "tool_result"]
    return "Context documents:\n\n" + "\n\n".join(parts) if parts else ""


def system_text(request: ChatRequest) -> str:
    pieces = [request.system_prompt or "", context_block(request.documents)]
    return "\n\n".join(p for p in pieces if p)


def tool_results(request: ChatRequest) -> list[Document]:
    return [d for d in request.documents if d.kind == "tool_result"]


def openai_messages(request: ChatRequest) -> list[dict[str, Any]]:
    """OpenAI chat messages: system (prompt + context), the conversation, and tool
    results as an assistant tool call followed by the tool's answer, placed after the
    last user turn as an agent loop would."""
    out: list[dict[str, Any]] = []
    system = system_text(request)
    if system:
        out.append({"role": "system", "content": system})
    out.extend(_openai_message(m) for m in request.messages)
    results = tool_results(request)
    if results:
        calls = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": d.tool or "lookup", "arguments": "{}"},
            }
            for i, d in enumerate(results)
        ]
        out.append({"role": "assistant", "content": None, "tool_calls": calls})
        out.extend(
            {"role": "tool", "tool_call_id": f"call_{i}", "content": d.text} for i, d in enumerate(results)
        )
    return out


def _openai_message(message: Message) -> dict[str, Any]:
    body: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        body["tool_calls"] = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
            }
            for i, c in enumerate(message.tool_calls)
        ]
    return body


def parse_openai_choice(payload: Any) -> TargetReply:
    """Read text and tool calls from an OpenAI chat completion body."""
    try:
        message = payload["choices"][0]["message"]
    except (KeyError, IndexError, TypeError) as exc:
        raise TargetError("reply is not an OpenAI chat completion") from exc
    calls = [
        ToolCall(
            name=c.get("function", {}).get("name", ""),
            arguments=_arguments(c.get("function", {}).get("arguments")),
        )
        for c in message.get("tool_calls") or []
        if isinstance(c, dict)
    ]
    return TargetReply(text=message.get("content") or "", tool_calls=calls)


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw:
        try:
            value = json.loads(raw)
        except ValueError:
            return {"_raw": raw[:2000]}
        return value if isinstance(value, dict) else {"_value": value}
    return {}
