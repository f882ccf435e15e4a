"""OpenAI-compatible chat completions at any base URL (OpenAI, Azure OpenAI's
v1 surface, vLLM, Ollama, LiteLLM, our own gateway)."""

from __future__ import annotations

import os
from typing import Any

from aiposture.redteam.model import ChatRequest, TargetReply
from aiposture.redteam.targets.base import Target, openai_messages, parse_openai_choice
from aiposture.redteam.targets.http_client import make_client, post_json


class OpenAIChatTarget(Target):
    name = "openai"
    description = "OpenAI-compatible /chat/completions at any base URL"

    def __init__(
        self,
        base_url: str,
        model: str = "default",
        api_key_env: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        concurrency: int = 32,
        temperature: float | None = 0.0,
        **_: Any,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.temperature = temperature
        all_headers = dict(headers or {})
        key = os.environ.get(api_key_env) if api_key_env else None
        if key:
            all_headers["Authorization"] = f"Bearer {key}"
        self.client = make_client(timeout, concurrency, all_headers)

    async def send(self, request: ChatRequest) -> TargetReply:
        body: dict[str, Any] = {"model": self.model, "messages": openai_messages(request)}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if request.tools:
            body["tools"] = request.tools
        if request.max_tokens:
            body["max_tokens"] = request.max_tokens
        status, payload = await post_json(self.client, self.url, body)
        if isinstance(payload, TargetReply):
            return payload
        reply = parse_openai_choice(payload)
        reply.raw_status = status
        return reply

    async def aclose(self) -> None:
        await self.client.aclose()

    def describe(self) -> str:
        return f"openai {self.url} model={self.model}"
