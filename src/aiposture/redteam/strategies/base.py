"""The strategy contract. A strategy drives one attempt's conversation through an
`AttemptSession` (which sends with retries and counts requests) and returns the
turns with the scored outcome. `max_requests` bounds what it may spend, so the run
can reserve its request budget before it starts (which keeps runs deterministic)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar, Protocol

from aiposture.redteam.model import Message, ScoreReason, TargetReply, Turn
from aiposture.shipped import load_data_yaml


@cache
def strategy_data() -> dict[str, Any]:
    return load_data_yaml("redteam", "strategies.yaml")


@dataclass
class Outcome:
    turns: list[Turn] = field(default_factory=list)
    success: bool = False
    score: float = 0.0
    reasons: list[ScoreReason] = field(default_factory=list)


class AttemptSession(Protocol):
    """What the runner gives a strategy for one attempt."""

    base_prompt: str  # the probe prompt before converters
    user_turns: list[str]  # the probe prompt after converters (one or more user turns)
    escalation: list[str]  # the probe's own crescendo ladder, may be empty

    def convert(self, text: str) -> list[str]: ...
    async def send(self, messages: list[Message]) -> TargetReply: ...
    async def judge(self, turns: list[Turn], reply: TargetReply) -> Outcome: ...


class Strategy:
    name: ClassVar[str]
    description: ClassVar[str] = ""

    def __init__(self, max_turns: int = 6) -> None:
        self.max_turns = max(1, max_turns)

    def max_requests(self, user_turns: int) -> int:
        return user_turns

    async def execute(self, session: AttemptSession) -> Outcome:
        raise NotImplementedError


MAX_KEPT_REPLY = 8000


def clip(text: str, limit: int = MAX_KEPT_REPLY) -> str:
    """Replies are kept for the report up to a limit (scorers saw the whole reply):
    an unbounded-consumption probe must not make the store and reports unbounded too."""
    return text if len(text) <= limit else text[:limit] + f" …[{len(text)} chars]"


# The hot path builds its own models from values it already trusts: model_construct
# skips re-validating them on every turn of every attempt.
async def converse(
    session: AttemptSession, history: list[Message], prompts: list[str], turns: list[Turn]
) -> TargetReply:
    """Send each prompt as a user turn in one conversation; return the last reply."""
    reply = TargetReply()
    for prompt in prompts:
        history.append(Message.model_construct(role="user", content=prompt, tool_calls=[], name=None))
        reply = await session.send(history)
        history.append(
            Message.model_construct(
                role="assistant", content=reply.text, tool_calls=reply.tool_calls, name=None
            )
        )
        turns.append(
            Turn.model_construct(
                prompt=prompt, reply=clip(reply.text), tool_calls=reply.tool_calls, blocked=reply.blocked
            )
        )
    return reply
