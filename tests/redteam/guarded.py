"""An in-process stand-in for the gateway: the sample target behind aiposture's
guard with a sensible policy (block injected prompts, drop injected documents,
block unsafe replies and redact sensitive values in them, hold dangerous tool calls
for approval, cap the output length). Lives in tests because redteam must not import the guard."""

from __future__ import annotations

from typing import Any

from aiposture.redteam.sample_target import chat

BLOCKED = "This request was blocked by policy."


class GuardedApp:
    def __init__(
        self,
        guard: Any,
        dangerous_tools: frozenset[str] = frozenset({"send_email"}),
        max_output_chars: int = 4000,
    ) -> None:
        self.guard, self.dangerous, self.max_output = guard, dangerous_tools, max_output_chars
        self.blocked = {"prompt": 0, "document": 0, "response": 0, "tool": 0}

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        messages = [dict(m) for m in request["messages"]]
        for m in messages:
            if m["role"] == "user" and self.guard.check(m["content"] or "", "prompt").action == "block":
                self.blocked["prompt"] += 1
                return {"content": BLOCKED}
        for doc in request.get("documents") or []:
            if self.guard.check(doc["text"], "document").action == "block":
                self.blocked["document"] += 1
                for m in messages:
                    if m["role"] in ("system", "tool") and doc["text"] in (m["content"] or ""):
                        m["content"] = m["content"].replace(doc["text"], "[document removed by policy]")
        reply = chat({**request, "messages": messages})
        text = reply["content"][: self.max_output]
        verdict = self.guard.check(text, "response")
        if verdict.action == "block":
            self.blocked["response"] += 1
            return {"content": BLOCKED}
        if verdict.action == "redact" and verdict.redacted is not None:  # as the gateway answers
            self.blocked["response"] += 1
            text = verdict.redacted
        calls = [c for c in reply.get("tool_calls") or [] if c["name"] not in self.dangerous]
        if len(calls) < len(reply.get("tool_calls") or []):
            self.blocked["tool"] += 1
            text += " (An email is waiting for your approval.)"
        return {"content": text, "tool_calls": calls}
