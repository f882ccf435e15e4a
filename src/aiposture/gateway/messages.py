"""Where the text is in each API dialect's requests and responses.

A `Slot` is one place holding text (a container and a key), with the direction the
guard should read it in: what a person or app wrote is a `prompt`; tool results,
retrieved documents and document parts are `document` (indirect injection). The
gateway guards every slot and writes redacted text back through it. A slot also keeps
its message's role, so the app's own instructions (system and developer messages) can
be told from what its users wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DOCUMENT_FLAG = "x-aiposture-document"
_DOCUMENT_ROLES = {"tool", "function", "ipython"}


INSTRUCTION_ROLES = frozenset({"system", "developer"})


@dataclass
class Slot:
    container: Any
    key: Any
    direction: str
    role: str | None = None

    @property
    def text(self) -> str:
        return self.container[self.key]

    @text.setter
    def text(self, value: str) -> None:
        self.container[self.key] = value


def _parts(container: Any, key: Any, direction: str, out: list[Slot], role: str | None = None) -> None:
    """A content value that is a string or a list of typed parts."""
    value = container.get(key) if isinstance(container, dict) else None
    if isinstance(value, str):
        out.append(Slot(container, key, direction, role))
        return
    if not isinstance(value, list):
        return
    for part in value:
        if not isinstance(part, dict):
            continue
        flagged = bool(part.pop(DOCUMENT_FLAG, False))
        kind = part.get("type")
        part_dir = "document" if flagged or kind in ("document", "tool_result") else direction
        if isinstance(part.get("text"), str):
            out.append(Slot(part, "text", part_dir, role if part_dir == direction else None))
        if kind == "tool_result":
            _parts(part, "content", "document", out)
        source = part.get("source")
        if (
            kind == "document"
            and isinstance(source, dict)
            and isinstance(source.get("data"), str)
            and source.get("type") == "text"
        ):
            out.append(Slot(source, "data", "document"))


def openai_chat_slots(body: dict) -> list[Slot]:
    out: list[Slot] = []
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        flagged = bool(message.pop(DOCUMENT_FLAG, False))
        role = message.get("role")
        direction = "document" if flagged or role in _DOCUMENT_ROLES else "prompt"
        _parts(message, "content", direction, out, role if isinstance(role, str) and not flagged else None)
    return out


def _string_or_list(body: dict, key: str) -> list[Slot]:
    value = body.get(key)
    if isinstance(value, str):
        return [Slot(body, key, "prompt")]
    if isinstance(value, list):
        return [Slot(value, i, "prompt") for i, item in enumerate(value) if isinstance(item, str)]
    return []


def completion_slots(body: dict) -> list[Slot]:
    return _string_or_list(body, "prompt")


def embedding_slots(body: dict) -> list[Slot]:
    return _string_or_list(body, "input")


def anthropic_slots(body: dict) -> list[Slot]:
    out: list[Slot] = []
    _parts(body, "system", "prompt", out, "system")
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            _parts(message, "content", "prompt", out)
    return out


REQUEST_SLOTS = {
    "chat": openai_chat_slots,
    "completions": completion_slots,
    "embeddings": embedding_slots,
    "anthropic": anthropic_slots,
}


def response_slots(kind: str, body: Any) -> list[Slot]:
    out: list[Slot] = []
    if not isinstance(body, dict):
        return out
    if kind == "anthropic":
        for block in body.get("content") or []:
            if isinstance(block, dict) and isinstance(block.get("text"), str):
                out.append(Slot(block, "text", "response"))
        return out
    for choice in body.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        message = choice.get("message")
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            out.append(Slot(message, "content", "response"))
        if isinstance(choice.get("text"), str):
            out.append(Slot(choice, "text", "response"))
    return out


def stream_delta_slot(kind: str, event: Any) -> Slot | None:
    """The text slot of one streamed event, if it carries text."""
    if not isinstance(event, dict):
        return None
    if kind == "anthropic":
        delta = event.get("delta")
        if (
            event.get("type") == "content_block_delta"
            and isinstance(delta, dict)
            and isinstance(delta.get("text"), str)
        ):
            return Slot(delta, "text", "response")
        return None
    choices = event.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    choice = choices[0]
    delta = choice.get("delta")
    if isinstance(delta, dict) and isinstance(delta.get("content"), str):
        return Slot(delta, "content", "response")
    if isinstance(choice.get("text"), str):
        return Slot(choice, "text", "response")
    return None


def usage_of(kind: str, body: Any) -> dict[str, int]:
    """Token usage in OpenAI's names, from either dialect."""
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return {}
    if kind == "anthropic":
        prompt, completion = usage.get("input_tokens", 0) or 0, usage.get("output_tokens", 0) or 0
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    return {
        k: int(usage[k])
        for k in ("prompt_tokens", "completion_tokens", "total_tokens")
        if isinstance(usage.get(k), int)
    }
