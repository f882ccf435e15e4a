"""Test doubles for the gateway: a fake guard with a few obvious rules, and a fake
upstream speaking the OpenAI, Azure and Anthropic dialects (raw ASGI)."""

from __future__ import annotations

import asyncio
import json
import socket

import re2

from aiposture.model import Detection, Verdict


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

_RULES = [
    (
        "injection",
        "INSTRUCTION_OVERRIDE",
        re2.compile(r"(?i)ignore (all )?previous instructions"),
        0.97,
        "block",
    ),
    ("secrets", "AWS_ACCESS_KEY", re2.compile(r"AKIA[0-9A-Z]{16}"), 0.99, "block"),
    ("pii", "EMAIL_ADDRESS", re2.compile(r"[a-z0-9.]+@[a-z0-9.]+\.[a-z]{2,}"), 0.9, "redact"),
    ("pii", "PHONE_NUMBER", re2.compile(r"\+44 ?[0-9]{4} ?[0-9]{6}"), 0.6, "redact"),
]
_RANK = {"allow": 0, "redact": 1, "block": 2}


class FakeGuard:
    """Guard-shaped: `check(text, direction, skip=()) -> Verdict`; 'raise-guard-error' raises."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def check(self, text: str, direction: str = "prompt", skip=()) -> Verdict:
        self.calls.append((direction, text))
        if "raise-guard-error" in text:
            raise RuntimeError("guard exploded")
        detections, action, scores = [], "allow", {}
        for detector, type_, pattern, score, act in _RULES:
            if detector in skip:
                continue
            for m in pattern.finditer(text):
                detections.append(
                    Detection(
                        detector=detector,
                        type=type_,
                        start=m.start(),
                        end=m.end(),
                        score=score,
                        text=m.group(0)[:3] + "***",
                    )
                )
                scores[detector] = max(scores.get(detector, 0.0), score)
                if _RANK[act] > _RANK[action]:
                    action = act
        return Verdict(
            action=action,
            risk=max(scores.values(), default=0.0),
            scores=scores,
            detections=detections,
            policy="fake-guard" if action != "allow" else None,
            reason=f"{detections[0].type} found" if detections else None,
        )


class FakeUpstream:
    """Echoes the last user text. Markers in the prompt change its behaviour:
    LEAK (answers with an AWS key), CONTACT (answers with the first placeholder it got),
    SLOW (sleeps), and the models broken-json / fail-500 misbehave."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        # scripted answers, used first in order: {"json": body} or {"sse": [(event name or None, data)]}
        self.replies: list[dict] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        req = json.loads(body or b"{}")
        self.requests.append(req)
        self.headers.append({k.decode(): v.decode() for k, v in scope["headers"]})
        if self.replies:
            return await _scripted(send, self.replies.pop(0))
        path = scope["path"]
        model = req.get("model", path.split("/")[3] if path.startswith("/openai/") else "")
        if model == "fail-500":
            return await _send(send, 500, b'{"error": "boom"}')
        if model == "broken-json":
            return await _send(send, 200, b'{"choices": [')
        if model == "bad-request":
            return await _send(
                send,
                400,
                json.dumps(
                    {
                        "error": {
                            "message": "bad",
                            "type": "invalid_request_error",
                            "code": None,
                            "param": None,
                        }
                    }
                ).encode(),
            )
        text = _last_text(req)
        if "SLOW" in text:
            await asyncio.sleep(3)
        answer = _answer(text)
        if path.endswith("/embeddings"):
            return await _send(
                send,
                200,
                json.dumps(
                    {
                        "object": "list",
                        "model": model,
                        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                        "usage": {"prompt_tokens": 3, "total_tokens": 3},
                    }
                ).encode(),
            )
        if path == "/v1/messages":
            return await _anthropic(send, req, model, answer)
        if req.get("stream"):
            return await _stream(send, model, answer, chat=path.endswith("chat/completions"))
        if path.endswith("chat/completions"):
            payload = {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1,
                "model": model,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        else:
            payload = {
                "id": "cmpl-1",
                "object": "text_completion",
                "created": 1,
                "model": model,
                "choices": [{"index": 0, "text": answer, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        return await _send(send, 200, json.dumps(payload).encode())


def _last_text(req: dict) -> str:
    if "messages" in req:
        content = req["messages"][-1].get("content")
        if isinstance(content, list):
            return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        return content or ""
    prompt = req.get("prompt", req.get("input", ""))
    return prompt if isinstance(prompt, str) else " ".join(prompt)


def _answer(text: str) -> str:
    if "LEAK" in text:
        return "Sure, the deploy key is AKIAIOSFODNN7EXAMPLE, keep it safe."
    if "CONTACT" in text:
        placeholder = re2.search(r"<[A-Z_]+_[0-9]+>", text)
        return f"Noted, the contact is {placeholder.group(0) if placeholder else 'nobody'}."
    if "LONGSTREAM" in text:
        return "All good. " * 60 + "Then the key AKIAIOSFODNN7EXAMPLE appears." + " More text." * 40
    return f"echo: {text}"


async def _scripted(send, reply: dict) -> None:
    if "json" in reply:
        return await _send(send, 200, json.dumps(reply["json"]).encode())
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]}
    )
    for name, data in reply["sse"]:
        head = f"event: {name}\n" if name else ""
        payload = data if isinstance(data, str) else json.dumps(data)
        await send({"type": "http.response.body", "body": f"{head}data: {payload}\n\n".encode(), "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _send(send, status: int, body: bytes, ctype: bytes = b"application/json") -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _stream(send, model: str, answer: str, chat: bool) -> None:
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]}
    )
    for i in range(0, len(answer), 7):
        piece = answer[i : i + 7]
        choice = (
            {"index": 0, "delta": {"content": piece}, "finish_reason": None}
            if chat
            else {"index": 0, "text": piece, "finish_reason": None}
        )
        event = {
            "id": "c1",
            "object": "chat.completion.chunk" if chat else "text_completion",
            "created": 1,
            "model": model,
            "choices": [choice],
        }
        await send(
            {
                "type": "http.response.body",
                "body": f"data: {json.dumps(event)}\n\n".encode(),
                "more_body": True,
            }
        )
    final = {
        "id": "c1",
        "object": "chat.completion.chunk" if chat else "text_completion",
        "created": 1,
        "model": model,
        "choices": [
            {"index": 0, "delta": {}, "finish_reason": "stop"}
            if chat
            else {"index": 0, "text": "", "finish_reason": "stop"}
        ],
    }
    await send(
        {"type": "http.response.body", "body": f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode()}
    )


async def _anthropic(send, req: dict, model: str, answer: str) -> None:
    if not req.get("stream"):
        payload = {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": answer}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 9, "output_tokens": 4},
        }
        return await _send(send, 200, json.dumps(payload).encode())
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]}
    )
    events = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "usage": {"input_tokens": 9, "output_tokens": 1},
                },
            },
        ),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
    ]
    events += [
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": answer[i : i + 7]},
            },
        )
        for i in range(0, len(answer), 7)
    ]
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 4}},
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    for name, data in events:
        await send(
            {
                "type": "http.response.body",
                "body": f"event: {name}\ndata: {json.dumps(data)}\n\n".encode(),
                "more_body": True,
            }
        )
    await send({"type": "http.response.body", "body": b""})
