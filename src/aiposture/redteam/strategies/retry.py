"""Retry with variation: when the target refuses, ask again in a fresh conversation
with the next variation of the prompt (hypothetical, persona, training framing...),
until it complies or the turn budget is spent."""

from __future__ import annotations

from aiposture.redteam.scorers.refusal import is_refusal
from aiposture.redteam.strategies.base import AttemptSession, Outcome, Strategy, converse, strategy_data


class RetryStrategy(Strategy):
    name = "retry"
    description = "on refusal, retry with the next prompt variation until success or the turn budget"

    def max_requests(self, user_turns: int) -> int:
        return user_turns * self.max_turns

    async def execute(self, session: AttemptSession) -> Outcome:
        variations = strategy_data()["retry"]["variations"]
        all_turns = []
        prompts = session.user_turns
        outcome = Outcome()
        for round_ in range(self.max_turns):
            turns = []
            reply = await converse(session, [], prompts, turns)
            all_turns += turns
            outcome = await session.judge(turns, reply)
            if outcome.success or not is_refusal(reply.text) or round_ >= len(variations):
                break
            prompts = session.convert(variations[round_].replace("{prompt}", session.base_prompt))
        outcome.turns = all_turns
        return outcome
