"""What the gateway knows about one tool call a model proposed, and what it decided.

Dialect modules (`toolcalls_openai`, `toolcalls_anthropic`, `toolcalls_text`, `mcp`)
find calls and remove them; `tools.ToolGate` decides. Between them travel a
`ProposedCall` (name and arguments as the model wrote them) and a `CallOutcome`
(allowed, denied or pending approval, with reasons). A client learns what was
removed from an `aiposture` object in the answer and from a short note appended to
the assistant's text, so even a client that ignores unknown fields sees why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

MAX_ARGUMENT_BYTES = 65_536  # arguments larger than this are refused, not parsed
# letters, digits and _.:- (no "/": a model must not name a tool in an MCP server's
# namespace "<server>/<tool>"); a set test, a tenth of the time of a regex match
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-")
MAX_NAME = 128

Status = Literal["allowed", "denied", "pending"]


@dataclass
class ProposedCall:
    name: Any  # as the model wrote it; checked by `check_name`
    arguments: Any  # a JSON string (OpenAI), an object (Anthropic, MCP) or None
    id: str | None = None
    source: str = "tool_calls"  # tool_calls | function_call | tool_use | text | mcp
    choice: int | None = None  # OpenAI choice index
    too_large: bool = False  # a stream sent more argument bytes than are kept


@dataclass
class CallOutcome:
    call: ProposedCall
    status: Status
    reasons: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    risk: str | None = None
    approval_id: str | None = None
    poll_url: str | None = None
    expires: str | None = None

    @property
    def removed(self) -> bool:
        return self.status != "allowed"

    def entry(self) -> dict:
        """This outcome in the answer's `aiposture.tool_calls` list."""
        out: dict[str, Any] = {
            "id": self.call.id,
            "name": self.call.name if isinstance(self.call.name, str) else repr(self.call.name)[:64],
            "source": self.call.source,
            "status": self.status,
            "reasons": self.reasons,
            "policies": self.policies,
        }
        if self.call.choice is not None:
            out["choice"] = self.call.choice
        if self.risk:
            out["risk"] = self.risk
        if self.approval_id:
            out["approval"] = {
                "id": self.approval_id,
                "status": "pending",
                "poll_url": self.poll_url,
                "expires": self.expires,
            }
        return out

    def note(self) -> str:
        """One line for a person reading the assistant's text."""
        name = self.entry()["name"]
        if self.status == "pending":
            return (
                f"[aiposture] tool call {name!r} is held for human approval "
                f"(approval {self.approval_id}, poll {self.poll_url})."
            )
        return f"[aiposture] tool call {name!r} was removed: {'; '.join(self.reasons) or 'denied by policy'}."


class ArgumentError(ValueError):
    """Arguments that cannot be authorised; the message is the reason."""


def check_name(name: Any) -> str:
    """The tool name, or ArgumentError when it is not a plain identifier."""
    if not isinstance(name, str) or not name:
        raise ArgumentError("tool call without a tool name")
    if len(name) > MAX_NAME or not _NAME_CHARS.issuperset(name) or name[0] in ".:-":
        raise ArgumentError(f"tool name {name[:64]!r} has characters outside letters, digits and _.:- or is too long")
    return name


def parse_arguments(raw: Any, too_large: bool = False, json_text: bool = True) -> dict:
    """Arguments as an object, bounded in size; ArgumentError with the reason otherwise.
    `json_text`: a string holds JSON (OpenAI); MCP sends the object itself."""
    if too_large:
        raise ArgumentError(f"tool arguments exceed {MAX_ARGUMENT_BYTES} bytes")
    if isinstance(raw, str) and not json_text:
        raise ArgumentError("tool arguments must be a JSON object, not str")
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        text = json.dumps(raw, separators=(",", ":"), default=str)
        if len(text.encode("utf-8", "surrogatepass")) > MAX_ARGUMENT_BYTES:
            raise ArgumentError(f"tool arguments exceed {MAX_ARGUMENT_BYTES} bytes")
        return raw
    if not isinstance(raw, str):
        raise ArgumentError(f"tool arguments must be a JSON object, not {type(raw).__name__}")
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_ARGUMENT_BYTES:
        raise ArgumentError(f"tool arguments exceed {MAX_ARGUMENT_BYTES} bytes")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise ArgumentError("tool arguments are not valid JSON") from None
    if not isinstance(value, dict):
        raise ArgumentError(f"tool arguments must be a JSON object, not {type(value).__name__}")
    return value


def extension(outcomes: list[CallOutcome]) -> dict:
    """The `aiposture` object added to an answer that had calls removed or held."""
    removed = [o for o in outcomes if o.removed]
    return {
        "tool_calls": [o.entry() for o in removed],
        "status": "pending" if any(o.status == "pending" for o in removed) else "removed",
    }


def notes(outcomes: list[CallOutcome]) -> str:
    return "\n".join(o.note() for o in outcomes if o.removed)
