"""The runner: determinism for a seed, retries with backoff, timeouts, the request
budget, concurrency bound, storage and resume after an interruption."""

from __future__ import annotations

import asyncio

import pytest

from aiposture.redteam.campaign import run_campaign
from aiposture.redteam.model import AppContext, TargetReply
from aiposture.redteam.plan import RunConfig, apply_budget, build_plan
from aiposture.redteam.runner import Runner
from aiposture.redteam.sample_target import chat
from aiposture.redteam.store import RedteamStore
from aiposture.redteam.targets.python_callable import PythonCallableTarget
from aiposture.store.database import Store

from .conftest import FakeTarget

SAMPLE = "aiposture.redteam.sample_target:chat"


def config(**kw) -> RunConfig:
    return RunConfig(target=SAMPLE, backoff=0.0, **kw)


def strip(attempts):
    return [a.model_dump(exclude={"requests"}) for a in attempts]


def test_same_seed_same_results():
    cfg = config(probes=["all"], converters=["base64", "zerowidth+leetspeak", "split"], seed=7, concurrency=8)
    first = asyncio.run(run_campaign(cfg))
    second = asyncio.run(run_campaign(cfg.model_copy(update={"concurrency": 32})))
    assert strip(first.attempts) == strip(second.attempts)
    other = asyncio.run(run_campaign(cfg.model_copy(update={"seed": 8})))
    assert [t.prompt for a in other.attempts for t in a.turns] != [
        t.prompt for a in first.attempts for t in a.turns
    ]


def test_plan_ids_are_unique_and_stable():
    cfg = config(probes=["all"], converters=["base64", "rot13"], strategies=["single", "retry"])
    plan = build_plan(cfg)
    assert len({p.id for p in plan}) == len(plan)
    assert [p.id for p in plan] == [p.id for p in build_plan(cfg)]


@pytest.mark.parametrize("budget", [1, 5, 40])
def test_budget_is_respected(budget):
    cfg = config(probes=["jailbreak"], strategies=["retry"], max_turns=3, budget=budget)
    kept, left = apply_budget(build_plan(cfg), budget)
    assert sum(k.max_requests for k in kept) <= budget
    target = FakeTarget()
    runner = Runner(target, AppContext(), cfg)
    results = asyncio.run(runner.run("r1"))
    assert target.calls <= budget
    assert sum(r.status == "skipped" for r in results) == len(left)


def test_retries_with_backoff_then_success():
    target = FakeTarget(lambda r: "Sure, here you go.", fail_first=2)
    runner = Runner(target, AppContext(), config(probes=["jailbreak.persona"], retries=2))
    results = asyncio.run(runner.run("r"))
    assert all(r.status == "done" for r in results)
    assert target.calls == len(results) + 2


def test_retries_exhausted_records_error():
    target = FakeTarget(fail_first=10**6)
    results = asyncio.run(
        Runner(target, AppContext(), config(probes=["jailbreak.persona"], retries=1)).run("r")
    )
    assert all(r.status == "error" and "503" in r.error for r in results)
    assert target.calls == 2 * len(results)


def test_non_retryable_error_is_not_retried():
    target = FakeTarget(fail_first=10**6, retryable=False)
    results = asyncio.run(
        Runner(target, AppContext(), config(probes=["jailbreak.persona"], retries=3)).run("r")
    )
    assert target.calls == len(results)


def test_timeout_per_request():
    target = FakeTarget(delay=0.5)
    cfg = config(probes=["jailbreak.persona"], timeout=0.05, retries=1)
    results = asyncio.run(Runner(target, AppContext(), cfg).run("r"))
    assert all(r.status == "error" for r in results)


def test_concurrency_is_bounded():
    active = peak = 0

    class Counting(FakeTarget):
        async def send(self, request):
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.01)
            active -= 1
            return TargetReply(text="no")

    asyncio.run(Runner(Counting(), AppContext(), config(probes=["all"], concurrency=3)).run("r"))
    assert 1 <= peak <= 3


def test_interrupted_run_resumes_and_skips_finished(db_url):
    store = RedteamStore(Store.open(db_url))
    cfg = config(probes=["all"], converters=["base64"], concurrency=4)
    calls = {"n": 0}

    def counting_chat(request):
        calls["n"] += 1
        return chat(request)

    async def interrupted():
        seen = []
        task = asyncio.create_task(
            run_campaign(
                cfg,
                store=store,
                run_id="rt-test",
                on_result=seen.append,
                target=PythonCallableTarget(callable=counting_chat, threaded=False),
            )
        )
        while len(seen) < 70:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(interrupted())
    saved = store.completed("rt-test")
    assert len(saved) >= 64
    assert store.runs()[0].status == "interrupted"
    first_calls, calls["n"] = calls["n"], 0
    report = asyncio.run(
        run_campaign(
            cfg,
            store=store,
            run_id="rt-test",
            resume=True,
            target=PythonCallableTarget(callable=counting_chat, threaded=False),
        )
    )
    full = asyncio.run(run_campaign(cfg))
    assert strip(report.attempts) == strip(full.attempts)
    assert calls["n"] < len(full.attempts)  # finished attempts were not sent again
    assert first_calls + calls["n"] >= len(full.attempts)
    assert store.runs()[0].status == "finished"


def test_canaries_and_long_replies_are_not_kept_in_clear():
    cfg = config(probes=["leakage.system_prompt", "consumption"])
    report = asyncio.run(run_campaign(cfg))
    canary = next(a for a in report.attempts if a.probe == "leakage.system_prompt" and a.success)
    assert canary.turns and "CANARY…[" in canary.turns[0].reply
    from aiposture.redteam.targets.config import app_context, read_target

    planted = app_context(read_target(SAMPLE).app, cfg.seed).system_canaries[0]
    assert all(planted not in t.reply for a in report.attempts for t in a.turns)
    long = [t.reply for a in report.attempts if a.probe.startswith("consumption") for t in a.turns]
    assert long and all(len(r) < 9000 for r in long)
    assert all(a.success for a in report.attempts if a.probe.startswith("consumption"))


def test_runs_store_and_resume_on_postgresql(pg_schema_url):
    store = RedteamStore(Store.open(pg_schema_url))
    cfg = config(probes=["leakage", "indirect"])
    first = asyncio.run(run_campaign(cfg, store=store, run_id="rt-pg"))
    assert len(store.completed("rt-pg")) == len(first.attempts)
    again = asyncio.run(run_campaign(cfg, store=store, run_id="rt-pg", resume=True))
    assert strip(again.attempts) == strip(first.attempts) and again.requests == 1
    assert store.runs()[0].summary["attempts"] == len(first.attempts)
    store.store.close()


def test_multi_turn_strategies_are_deterministic_and_bounded():
    cfg = config(
        probes=["harmful", "jailbreak.roleplay"],
        strategies=["retry", "crescendo"],
        converters=["split"],
        max_turns=4,
        seed=5,
    )
    first = asyncio.run(run_campaign(cfg.model_copy(update={"concurrency": 3})))
    second = asyncio.run(run_campaign(cfg))
    assert strip(first.attempts) == strip(second.attempts)
    plan = {p.id: p.max_requests for p in build_plan(cfg)}
    assert all(0 < a.requests <= plan[a.id] for a in first.attempts)
