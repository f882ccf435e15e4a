"""A generic HTTP JSON endpoint: a request body template with `{{prompt}}`-style
slots and a dotted/indexed path to the answer (`data.answer`, `choices[0].text`).

Slots are filled by plain string substitution on the parsed JSON tree, never by a
template engine: the prompt is attacker-written text and must not be rendered.
A string that is exactly one slot takes the value whole (so `{{messages}}` can
become a list); a slot inside a longer string is replaced as text.
"""

from __future__ import annotations

import os
from typing import Any

from aiposture.errors import InputError
from aiposture.redteam.model import ChatRequest, TargetReply, ToolCall
from aiposture.redteam.targets.base import Target, TargetError, context_block, openai_messages
from aiposture.redteam.targets.http_client import make_client, post_json


def slot_values(request: ChatRequest) -> dict[str, Any]:
    users = [m.content for m in request.messages if m.role == "user"]
    return {
        "prompt": users[-1] if users else "",
        "system": request.system_prompt or "",
        "documents": context_block(request.documents),
        "messages": openai_messages(request),
        "history": [{"role": m.role, "content": m.content} for m in request.messages],
    }


def fill(template: Any, values: dict[str, Any]) -> Any:
    """Return a copy of the JSON tree with `{{name}}` slots filled from values."""
    if isinstance(template, dict):
        return {fill(k, values) if isinstance(k, str) else k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    if not isinstance(template, str) or "{{" not in template:
        return template
    stripped = template.strip()
    for name, value in values.items():
        if stripped == "{{" + name + "}}":
            return value
    return _substitute(template, values)


def _substitute(template: str, values: dict[str, Any]) -> str:
    """One left-to-right pass: text inserted for a slot is never scanned again, so a
    prompt that contains `{{system}}` stays literally that."""
    out, rest = [], template
    while "{{" in rest:
        head, _, tail = rest.partition("{{")
        name, close, after = tail.partition("}}")
        out.append(head)
        if close and name in values:
            value = values[name]
            out.append(value if isinstance(value, str) else str(value))
            rest = after
        else:
            out.append("{{")
            rest = tail
    out.append(rest)
    return "".join(out)


def parse_path(path: str) -> list[str | int]:
    """`a.b[0].c` -> ["a", "b", 0, "c"]. The path comes from config, not from a reply."""
    steps: list[str | int] = []
    for part in path.split("."):
        if not part:
            raise InputError(f"bad response path {path!r}")
        name, _, rest = part.partition("[")
        if name:
            steps.append(name)
        while rest:
            index, close, rest = rest.partition("]")
            if not close or not index.lstrip("-").isdigit():
                raise InputError(f"bad index in response path {path!r}")
            steps.append(int(index))
            rest = rest.removeprefix("[") if rest.startswith("[") else _expect_end(rest, path)
    return steps


def _expect_end(rest: str, path: str) -> str:
    if rest:
        raise InputError(f"bad response path {path!r}")
    return rest


def extract(payload: Any, steps: list[str | int]) -> Any:
    node = payload
    for step in steps:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError) as exc:
            raise TargetError(f"response has no {step!r} on the configured path") from exc
    return node


class HttpJsonTarget(Target):
    name = "http"
    description = "any HTTP JSON endpoint: body template with {{prompt}} slots + response path"

    def __init__(
        self,
        url: str,
        body: Any,
        response_path: str,
        method: str = "POST",
        tool_calls_path: str | None = None,
        headers: dict[str, str] | None = None,
        header_env: dict[str, str] | None = None,
        timeout: float = 30.0,
        concurrency: int = 32,
        **_: Any,
    ) -> None:
        self.url, self.method, self.body = url, method.upper(), body
        self.path = parse_path(response_path)
        self.tool_path = parse_path(tool_calls_path) if tool_calls_path else None
        all_headers = dict(headers or {})
        for header, env in (header_env or {}).items():
            if os.environ.get(env):
                all_headers[header] = os.environ[env]
        self.client = make_client(timeout, concurrency, all_headers)

    async def send(self, request: ChatRequest) -> TargetReply:
        status, payload = await post_json(
            self.client, self.url, fill(self.body, slot_values(request)), method=self.method
        )
        if isinstance(payload, TargetReply):
            return payload
        text = extract(payload, self.path)
        calls: list[ToolCall] = []
        if self.tool_path is not None:
            raw = extract(payload, self.tool_path) or []
            calls = [
                ToolCall(name=str(c.get("name", "")), arguments=c.get("arguments") or {})
                for c in raw
                if isinstance(c, dict)
            ]
        return TargetReply(
            text=text if isinstance(text, str) else str(text), tool_calls=calls, raw_status=status
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    def describe(self) -> str:
        return f"http {self.method} {self.url}"
