"""Single-turn: send the (converted) prompt once. Converters that split a payload
make this several user turns in one conversation; the last reply is scored."""

from __future__ import annotations

from aiposture.redteam.model import Message
from aiposture.redteam.strategies.base import AttemptSession, Outcome, Strategy, converse


class SingleTurnStrategy(Strategy):
    name = "single"
    description = "send the prompt once (several turns only when a converter splits it)"

    async def execute(self, session: AttemptSession) -> Outcome:
        turns = []
        history: list[Message] = []
        reply = await converse(session, history, session.user_turns, turns)
        outcome = await session.judge(turns, reply)
        outcome.turns = turns
        return outcome
