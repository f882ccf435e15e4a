"""A whole red-team run, start to report: read the target, plant canaries, plan,
preflight, run (or resume) with the store, and summarise. Commands call this; it
knows nothing of the console beyond an optional per-attempt callback."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from aiposture.redteam.model import AttemptResult
from aiposture.redteam.plan import RunConfig, apply_budget, build_plan
from aiposture.redteam.probes.catalog import select_probes
from aiposture.redteam.report.summary import RunReport, summarise
from aiposture.redteam.runner import Runner
from aiposture.redteam.scorers.base import ScorerEnv
from aiposture.redteam.store import RedteamStore
from aiposture.redteam.targets.base import Target
from aiposture.redteam.targets.config import TargetSpec, app_context, build_target, read_target


def new_run_id() -> str:
    return datetime.now(UTC).strftime("rt-%Y%m%d%H%M%S-") + secrets.token_hex(3)


def resume_config(store: RedteamStore, run_id: str) -> RunConfig:
    return RunConfig.model_validate(store.load_config(run_id))


def planned_count(config: RunConfig) -> int:
    """How many attempts the run will make (for a progress bar)."""
    kept, _ = apply_budget(build_plan(config), config.budget)
    return len(kept)


async def run_campaign(
    config: RunConfig,
    *,
    store: RedteamStore | None = None,
    run_id: str | None = None,
    resume: bool = False,
    on_result: Callable[[AttemptResult], None] | None = None,
    target: Target | None = None,
) -> RunReport:
    """Run (or resume) a red-team campaign and return its report."""
    spec = read_target(config.target)
    run_id = run_id or new_run_id()
    context = app_context(spec.app, config.seed)
    target = target or build_target(spec.target, config.concurrency, config.timeout)
    judge = _judge(spec.judge, config)
    started = datetime.now(UTC)
    try:
        runner = Runner(target, context, config, env=ScorerEnv(judge=judge), store=store, on_result=on_result)
        await runner.preflight()
        done = store.completed(run_id) if (store is not None and resume) else {}
        if store is not None and not resume:
            store.create_run(run_id, target.describe(), config.model_dump(mode="json"))
        try:
            attempts = await runner.run(run_id, done)
        except BaseException:
            if store is not None:
                store.finish_run(run_id, "interrupted", {"requests": runner.requests})
            raise
    finally:
        await target.aclose()
        if judge is not None:
            await judge.aclose()
    report = summarise(
        run_id,
        target.describe(),
        config.seed,
        select_probes(config.probes),
        attempts,
        started,
        datetime.now(UTC),
        runner.requests,
    )
    if store is not None:
        store.finish_run(
            run_id,
            "finished",
            {
                "asr": report.asr,
                "attempts": report.overall.attempts,
                "successes": report.overall.successes,
                "requests": runner.requests,
            },
        )
    return report


def _judge(spec: TargetSpec | None, config: RunConfig) -> Target | None:
    if config.judge:
        return build_target(read_target(config.judge).target, config.concurrency, config.timeout)
    return build_target(spec, config.concurrency, config.timeout) if spec is not None else None


def run_sync(coro_or_config, **kwargs):
    """Run a campaign (or any coroutine) on uvloop when it is installed (it comes with
    uvicorn[standard]): the client side of a red-team run is event-loop bound."""
    coro = run_campaign(coro_or_config, **kwargs) if isinstance(coro_or_config, RunConfig) else coro_or_config
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)
