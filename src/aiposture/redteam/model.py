"""The red team's own data model: what is sent to a target, what comes back, and
what one attempt found and why. Kept apart from `aiposture.model` because only the
red team speaks it; results map to the shared framework ids (OWASP LLM 2025, ATLAS)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant", "tool"]
DocumentKind = Literal["document", "email", "tool_result", "web_page"]


class ToolCall(BaseModel):
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Message(BaseModel):
    role: Role
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    name: str | None = None


class Document(BaseModel):
    """Text the application retrieves and hands to its model: a RAG chunk, a mail,
    a tool's result or a web page. Indirect injection rides in here."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: DocumentKind = "document"
    text: str
    tool: str | None = None  # for kind=tool_result: the tool that "returned" it


class AppContext(BaseModel):
    """What the application under test gives its model: system prompt, tools,
    documents, and the canaries planted in them (secrets the app must never show)."""

    model_config = ConfigDict(extra="forbid")

    system_prompt: str | None = None
    tools: list[dict[str, Any]] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    system_canaries: list[str] = Field(default_factory=list)
    document_canaries: list[str] = Field(default_factory=list)
    dangerous_tools: list[str] = Field(default_factory=list)
    send_context: bool = True


class ChatRequest(BaseModel):
    """One request to a target: the conversation so far plus the app's context."""

    messages: list[Message]
    tools: list[dict[str, Any]] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    system_prompt: str | None = None
    max_tokens: int | None = None


class TargetReply(BaseModel):
    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    raw_status: int | None = None
    blocked: bool = False  # a guard or gateway in front of the app refused the request


class ScoreReason(BaseModel):
    """One scorer's opinion on one reply: did the attack get through, and why."""

    scorer: str
    hit: bool
    score: float = Field(ge=0.0, le=1.0, default=0.0)
    detail: str = ""
    active: bool = True  # False when the scorer could not judge (no judge configured, no guard)


class Turn(BaseModel):
    prompt: str
    reply: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    blocked: bool = False


AttemptStatus = Literal["done", "error", "skipped"]


class AttemptResult(BaseModel):
    """The record of one attack attempt, as stored and reported."""

    id: str
    probe: str
    category: str
    severity: str
    prompt_index: int
    converters: list[str] = Field(default_factory=list)
    strategy: str = "single"
    status: AttemptStatus = "done"
    success: bool = False
    score: float = 0.0
    turns: list[Turn] = Field(default_factory=list)
    reasons: list[ScoreReason] = Field(default_factory=list)
    requests: int = 0
    error: str | None = None
    frameworks: dict[str, list[str]] = Field(default_factory=dict)
