"""Running a plan against a target: asyncio with a semaphore for concurrency, a
timeout on every request, bounded retries with exponential backoff and jitter drawn
from a per-attempt seeded RNG (so reruns behave the same), a request budget, and
results written to the store in batches so `--resume` can skip finished attempts."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable

from aiposture.errors import InputError
from aiposture.model import mask_secret
from aiposture.redteam.model import AppContext, AttemptResult, ChatRequest, Message, TargetReply, Turn
from aiposture.redteam.plan import PlannedAttempt, RunConfig, apply_budget, build_plan
from aiposture.redteam.scorers.base import ScoreInput, ScorerEnv
from aiposture.redteam.scorers.catalog import score_all, scorers_for
from aiposture.redteam.store import RedteamStore
from aiposture.redteam.strategies.base import Outcome
from aiposture.redteam.targets.base import Target, TargetError

FLUSH_EVERY = 64
MAX_BACKOFF = 8.0


def mask_canaries(result: AttemptResult, canaries: list[str]) -> None:
    """Replace canaries in the kept replies and tool arguments by their masked form:
    a declared canary may be a real secret of the app, and reports must not carry it."""
    found = [c for c in canaries if c]
    if not found:
        return
    for turn in result.turns:
        for canary in found:
            if canary in turn.reply:
                turn.reply = turn.reply.replace(canary, mask_secret(canary, 6))
        for call in turn.tool_calls:
            text = json.dumps(call.arguments, ensure_ascii=False)
            if any(c in text for c in found):
                for canary in found:
                    text = text.replace(canary, mask_secret(canary, 6))
                call.arguments = json.loads(text)


class _Session:
    """One attempt's view of the run (the AttemptSession a strategy drives)."""

    def __init__(self, runner: Runner, item: PlannedAttempt, rng: random.Random) -> None:
        self.runner, self.item, self.rng = runner, item, rng
        self.base_prompt = item.prompt
        self.escalation = list(item.probe.escalation)
        self.user_turns = item.chain.apply([item.prompt], rng)
        self.requests = 0
        self.scorers = scorers_for(item.probe, runner.env)

    def convert(self, text: str) -> list[str]:
        return self.item.chain.apply([text], self.rng)

    async def send(self, messages: list[Message]) -> TargetReply:
        ctx = self.runner.context
        request = ChatRequest.model_construct(
            max_tokens=None,
            messages=list(messages),
            tools=ctx.tools,
            system_prompt=ctx.system_prompt,
            documents=[*ctx.documents, *self.item.probe.documents],
        )
        self.requests += 1
        return await self.runner.send_with_retry(request, self.rng)

    async def judge(self, turns: list[Turn], reply: TargetReply) -> Outcome:
        item = ScoreInput(probe=self.item.probe, context=self.runner.context, turns=turns, reply=reply)
        success, score, reasons = await score_all(self.scorers, item, self.item.probe.combine)
        return Outcome(success=success, score=score, reasons=reasons)


class Runner:
    def __init__(
        self,
        target: Target,
        context: AppContext,
        config: RunConfig,
        *,
        env: ScorerEnv | None = None,
        store: RedteamStore | None = None,
        on_result: Callable[[AttemptResult], None] | None = None,
    ) -> None:
        self.target, self.context, self.config = target, context, config
        self.env = env or ScorerEnv()
        self.store = store
        self.on_result = on_result
        self.requests = 0
        self._buffer: list[tuple[int, AttemptResult]] = []

    def plan(self) -> tuple[list[PlannedAttempt], list[PlannedAttempt]]:
        return apply_budget(build_plan(self.config), self.config.budget)

    async def preflight(self) -> None:
        """One harmless request, so an unreachable target fails fast and cleanly."""
        request = ChatRequest(
            messages=[Message(role="user", content="Hello")],
            tools=self.context.tools,
            system_prompt=self.context.system_prompt,
        )
        try:
            await self.send_with_retry(request, random.Random(self.config.seed), retries=0)
        except TargetError as exc:
            raise InputError(f"target unreachable: {exc}") from exc

    async def send_with_retry(
        self, request: ChatRequest, rng: random.Random, retries: int | None = None
    ) -> TargetReply:
        retries = self.config.retries if retries is None else retries
        for attempt in range(retries + 1):
            self.requests += 1
            try:
                return await asyncio.wait_for(self.target.send(request), self.config.timeout)
            except (TimeoutError, TargetError) as exc:
                retryable = isinstance(exc, TimeoutError) or exc.retryable
                if not retryable or attempt >= retries:
                    raise TargetError(str(exc) or "timeout") from exc
                delay = min(MAX_BACKOFF, self.config.backoff * (2**attempt)) * (0.5 + rng.random())
                await asyncio.sleep(delay)
        raise TargetError("unreachable")  # pragma: no cover - loop always returns or raises

    async def run(self, run_id: str, done: dict[str, AttemptResult] | None = None) -> list[AttemptResult]:
        """Run every planned attempt not already in `done`; return all results in plan order."""
        done = done or {}
        kept, over_budget = self.plan()
        semaphore = asyncio.Semaphore(self.config.concurrency)
        results: dict[int, AttemptResult] = {}
        for item in kept:
            if item.id in done:
                results[item.seq] = done[item.id]
        for item in over_budget:
            results[item.seq] = self._blank(item, status="skipped", error="request budget exhausted")
        todo = [item for item in kept if item.id not in done]

        async def one(item: PlannedAttempt) -> None:
            async with semaphore:
                result = await self.execute(item)
            results[item.seq] = result
            self._record(run_id, item.seq, result)

        try:
            await asyncio.gather(*(one(item) for item in todo))
        finally:
            self._record(run_id, -1, None, flush=True)
        if self.store is not None:
            self.store.save_attempts(run_id, [(i.seq, results[i.seq]) for i in over_budget])
        return [results[k] for k in sorted(results)]

    async def execute(self, item: PlannedAttempt) -> AttemptResult:
        session = _Session(self, item, random.Random(f"{self.config.seed}:{item.id}"))
        result = self._blank(item)
        try:
            outcome = await item.strategy.execute(session)
        except TargetError as exc:
            result.status, result.error = "error", str(exc)[:300]
        else:
            result.turns, result.success, result.score, result.reasons = (
                outcome.turns,
                outcome.success,
                outcome.score,
                outcome.reasons,
            )
        result.requests = session.requests
        mask_canaries(result, [*self.context.system_canaries, *self.context.document_canaries])
        return result

    @staticmethod
    def _blank(item: PlannedAttempt, status: str = "done", error: str | None = None) -> AttemptResult:
        probe = item.probe
        return AttemptResult(
            id=item.id,
            probe=probe.id,
            category=probe.category,
            severity=probe.severity.value,
            prompt_index=item.prompt_index,
            converters=[c.name for c in item.chain.converters],
            strategy=item.strategy.name,
            status=status,
            error=error,
            frameworks=probe.frameworks,
        )

    def _record(self, run_id: str, seq: int, result: AttemptResult | None, flush: bool = False) -> None:
        if result is not None:
            if self.on_result is not None:
                self.on_result(result)
            if self.store is not None:
                self._buffer.append((seq, result))
        if self.store is not None and (flush or len(self._buffer) >= FLUSH_EVERY):
            batch, self._buffer = self._buffer, []
            self.store.save_attempts(run_id, batch)
