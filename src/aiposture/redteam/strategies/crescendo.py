"""Crescendo-style gradual escalation: a few harmless-looking turns that build a
frame (the probe's own `escalation` ladder, or a generic one from data), then the
real request inside it; if refused, push again in the same conversation with a
variation, within the turn budget."""

from __future__ import annotations

from aiposture.redteam.model import Message
from aiposture.redteam.scorers.refusal import is_refusal
from aiposture.redteam.strategies.base import AttemptSession, Outcome, Strategy, converse, strategy_data


class CrescendoStrategy(Strategy):
    name = "crescendo"
    description = "escalate over several turns, then ask; push again on refusal (turn budget)"

    def max_requests(self, user_turns: int) -> int:
        return self.max_turns + user_turns

    async def execute(self, session: AttemptSession) -> Outcome:
        data = strategy_data()
        ladder = session.escalation or data["crescendo"]["ladder"]
        ladder = ladder[: max(0, self.max_turns - 1)]
        history: list[Message] = []
        turns = []
        await converse(session, history, ladder, turns)
        final = session.convert(data["crescendo"]["final"].replace("{prompt}", session.base_prompt))
        reply = await converse(session, history, final, turns)
        outcome = await session.judge(turns, reply)
        variations = data["retry"]["variations"]
        pushes = 0
        while (
            not outcome.success
            and is_refusal(reply.text)
            and len(turns) < self.max_turns
            and pushes < len(variations)
        ):
            push = session.convert(variations[pushes].replace("{prompt}", session.base_prompt))
            pushes += 1
            reply = await converse(session, history, push, turns)
            outcome = await session.judge(turns, reply)
        outcome.turns = turns
        return outcome
