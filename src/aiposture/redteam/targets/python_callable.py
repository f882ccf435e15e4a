"""An in-process application: a Python callable named `module:function`, sync or
async. It receives one dict (`messages` in OpenAI form with the system prompt and
context, plus `tools`, `documents`, `system_prompt`) and returns a string, a dict
with `content`/`text` and optional `tool_calls`, or an OpenAI completion body."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from aiposture.errors import InputError
from aiposture.redteam.model import ChatRequest, TargetReply, ToolCall
from aiposture.redteam.registry import load_object
from aiposture.redteam.targets.base import Target, TargetError, openai_messages, parse_openai_choice


def request_dict(request: ChatRequest) -> dict[str, Any]:
    return {
        "messages": openai_messages(request),
        "tools": request.tools,
        "documents": [d.model_dump() for d in request.documents],
        "system_prompt": request.system_prompt,
        "max_tokens": request.max_tokens,
    }


def reply_from(value: Any) -> TargetReply:
    if isinstance(value, str):
        return TargetReply(text=value)
    if isinstance(value, dict):
        if "choices" in value:
            return parse_openai_choice(value)
        calls = [
            c
            if isinstance(c, ToolCall)
            else ToolCall(name=str(c.get("name", "")), arguments=c.get("arguments") or {})
            for c in value.get("tool_calls") or []
        ]
        return TargetReply(text=str(value.get("content", value.get("text", "")) or ""), tool_calls=calls)
    raise TargetError(f"callable returned {type(value).__name__}, expected str or dict")


class PythonCallableTarget(Target):
    name = "python"
    description = "a Python callable module:function (sync or async)"

    def __init__(self, callable: str | Callable[..., Any], threaded: bool = True, **_: Any) -> None:  # noqa: A002
        self.spec = callable if isinstance(callable, str) else getattr(callable, "__qualname__", "callable")
        self.fn = load_object(callable) if isinstance(callable, str) else callable
        if not callable_(self.fn):
            raise InputError(f"{self.spec} is not callable")
        self.is_async = inspect.iscoroutinefunction(self.fn)
        self.threaded = threaded

    async def send(self, request: ChatRequest) -> TargetReply:
        payload = request_dict(request)
        try:
            if self.is_async:
                value = await self.fn(payload)
            elif self.threaded:
                value = await asyncio.to_thread(self.fn, payload)
            else:
                value = self.fn(payload)
        except TargetError:
            raise
        except Exception as exc:  # the app under test failed: record, don't crash the run
            raise TargetError(f"{self.spec} raised {exc.__class__.__name__}: {exc}") from exc
        return reply_from(value)

    def describe(self) -> str:
        return f"python {self.spec}"


def callable_(obj: Any) -> bool:
    return callable(obj)
