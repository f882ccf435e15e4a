"""Anthropic's Messages API (`/v1/messages`): system as a top-level field, tool
use and tool results as content blocks."""

from __future__ import annotations

import json
import os
from typing import Any

from aiposture.redteam.model import ChatRequest, Message, TargetReply, ToolCall
from aiposture.redteam.targets.base import Target, TargetError, system_text, tool_results
from aiposture.redteam.targets.http_client import make_client, post_json


class AnthropicTarget(Target):
    name = "anthropic"
    description = "Anthropic Messages API"

    def __init__(
        self,
        base_url: str = "https://api.anthropic.com",
        model: str = "claude-sonnet-4-5",
        api_key_env: str | None = "ANTHROPIC_API_KEY",
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        concurrency: int = 32,
        max_tokens: int = 1024,
        **_: Any,
    ) -> None:
        self.url = base_url.rstrip("/") + "/v1/messages"
        self.model = model
        self.max_tokens = max_tokens
        all_headers = {"anthropic-version": "2023-06-01", **(headers or {})}
        key = os.environ.get(api_key_env) if api_key_env else None
        if key:
            all_headers["x-api-key"] = key
        self.client = make_client(timeout, concurrency, all_headers)

    def body(self, request: ChatRequest) -> dict[str, Any]:
        messages = [_message(m) for m in request.messages if m.role in ("user", "assistant")]
        results = tool_results(request)
        if results:
            uses = [
                {"type": "tool_use", "id": f"toolu_{i}", "name": d.tool or "lookup", "input": {}}
                for i, d in enumerate(results)
            ]
            messages.append({"role": "assistant", "content": uses})
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": f"toolu_{i}", "content": d.text}
                        for i, d in enumerate(results)
                    ],
                }
            )
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": request.max_tokens or self.max_tokens,
            "messages": messages,
        }
        system = system_text(request)
        if system:
            body["system"] = system
        if request.tools:
            body["tools"] = [_anthropic_tool(t) for t in request.tools]
        return body

    async def send(self, request: ChatRequest) -> TargetReply:
        status, payload = await post_json(self.client, self.url, self.body(request))
        if isinstance(payload, TargetReply):
            return payload
        reply = parse_anthropic(payload)
        reply.raw_status = status
        return reply

    async def aclose(self) -> None:
        await self.client.aclose()

    def describe(self) -> str:
        return f"anthropic {self.url} model={self.model}"


def _message(message: Message) -> dict[str, Any]:
    if not message.tool_calls:
        return {"role": message.role, "content": message.content}
    blocks: list[dict[str, Any]] = [{"type": "text", "text": message.content}] if message.content else []
    blocks += [
        {"type": "tool_use", "id": f"toolu_h{i}", "name": c.name, "input": c.arguments}
        for i, c in enumerate(message.tool_calls)
    ]
    return {"role": message.role, "content": blocks}


def _anthropic_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """Accept tools written in OpenAI's function form and translate them."""
    fn = tool.get("function", tool)
    return {
        "name": fn.get("name", ""),
        "description": fn.get("description", ""),
        "input_schema": fn.get("parameters") or fn.get("input_schema") or {"type": "object"},
    }


def parse_anthropic(payload: Any) -> TargetReply:
    if not isinstance(payload, dict) or not isinstance(payload.get("content"), list):
        raise TargetError("reply is not an Anthropic message")
    texts, calls = [], []
    for block in payload["content"]:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            texts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_use":
            args = block.get("input")
            calls.append(
                ToolCall(
                    name=str(block.get("name", "")),
                    arguments=args if isinstance(args, dict) else {"_raw": json.dumps(args)},
                )
            )
    return TargetReply(text="".join(texts), tool_calls=calls)
