"""Fixtures for the tool-enforcement tests: a small Cedar policy folder, and model
answers (whole and streamed) that propose tool calls."""

from __future__ import annotations

import json
from pathlib import Path

POLICIES = """
@id("models-approved")
@reason("approved models only")
permit (principal, action == Action::"invoke_model", resource) when { resource.approved };

@id("tools-registry")
@reason("the principal's registered tools cover this tool")
permit (principal, action == Action::"call_tool", resource) when { context.granted };

@id("tools-scope")
@reason("a scope of the token or an approved elevation covers this tool")
permit (principal, action == Action::"call_tool", resource) when { context.in_scope };

@id("no-wipe")
@reason("nobody wipes disks through an agent")
forbid (principal, action == Action::"call_tool", resource == Tool::"wipe_disk");

@id("no-space-deletes")
@reason("knowledge spaces are deleted by people, not agents")
forbid (principal, action == Action::"call_tool", resource == Tool::"kb/delete_space");

@id("terms")
@reason("the user has not accepted the AI terms of use")
forbid (principal, action, resource) when { context.delegated && !context.terms_accepted };

@id("risky-users")
@reason("the user's risk level is high")
forbid (principal, action, resource) when { context.user_risk == "high" };
"""

CATALOG = """
timezone: UTC
models:
  - {match: "gpt-4o*", provider: openai, external: true, approved: true}
  - {match: "claude-*", provider: anthropic, external: true, approved: true}
  - {match: "azure-gpt", provider: azure, external: false, approved: true}
tools:
  - {match: "search_kb", groups: [knowledge], risk: []}
  - {match: "send_email", groups: [messaging]}
  - {match: "kb/publish_page", groups: [knowledge], risk: [sends-data-outside]}
  - {match: "kb/*", groups: [knowledge], risk: []}
"""

AGENT_TOOLS = ["search_kb", "send_email", "wipe_disk", "kb/*"]


def write_policies(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tools.cedar").write_text(POLICIES, encoding="utf-8")
    (folder / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    return folder


def call(i: int, name: str, arguments) -> dict:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": args}}


def chat_answer(*calls: dict, content: str | None = None, model: str = "gpt-4o-mini") -> dict:
    message = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = list(calls)
    return {
        "id": "chatcmpl-t",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def chat_stream(*calls: tuple[str, dict], text: str = "") -> list:
    """SSE events of a chat completion whose calls arrive in fragments."""
    base = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini"}

    def chunk(delta, finish=None):
        return (None, {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": text[i : i + 7]}) for i in range(0, len(text), 7)]
    for i, (name, arguments) in enumerate(calls):
        args = json.dumps(arguments)
        first = {"index": i, "id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": ""}}
        events.append(chunk({"tool_calls": [first]}))
        events += [
            chunk({"tool_calls": [{"index": i, "function": {"arguments": args[j : j + 6]}}]})
            for j in range(0, len(args), 6)
        ]
    events.append(chunk({}, "tool_calls" if calls else "stop"))
    return [*events, (None, "[DONE]")]


def anthropic_answer(*blocks: dict) -> dict:
    return {
        "id": "msg_t",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-5-haiku",
        "content": list(blocks),
        "stop_reason": "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn",
        "usage": {"input_tokens": 9, "output_tokens": 4},
    }


def anthropic_stream(*blocks: dict) -> list:
    events = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "m",
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "usage": {"input_tokens": 9},
                },
            },
        )
    ]
    for i, block in enumerate(blocks):
        if block["type"] == "text":
            events += [
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}},
                ),
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": block["text"]}},
                ),
            ]
        else:
            args = json.dumps(block["input"])
            start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            events.append(("content_block_start", {"type": "content_block_start", "index": i, "content_block": start}))
            events += [
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "input_json_delta", "partial_json": args[j : j + 5]},
                    },
                )
                for j in range(0, len(args), 5)
            ]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
    events += [
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": 4}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events


def sse_events(body: str) -> list[tuple[str | None, object]]:
    out = []
    for raw in body.split("\n\n"):
        if not raw.strip():
            continue
        name, data = None, None
        for line in raw.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                payload = line[5:].strip()
                data = payload if payload == "[DONE]" else json.loads(payload)
        out.append((name, data))
    return out
