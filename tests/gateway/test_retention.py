"""`audit.retention_days` in gateway.yaml: the running gateway purges old events itself
and the chain still verifies afterwards."""

from __future__ import annotations

import asyncio

import pytest

from aiposture.gateway.config import GatewayConfig
from aiposture.gateway.retention import retention_loop, start_retention

pytest.importorskip("aiposture.audit.trail")


def _records(n: int, day: str | None = None):
    out = []
    for i in range(n):
        record = {"principal": "support-bot", "app": "support", "model": "gpt-4o-mini", "direction": "prompt",
                  "verdict": {"action": "allow", "scores": {}, "detections": []}, "data": {"i": i}}
        if day:
            record["time"] = f"{day}T10:00:00.000000Z"
        out.append(record)
    return out


def test_the_loop_purges_at_start_and_keeps_the_chain(tmp_path):
    from aiposture.audit.trail import AuditTrail
    from aiposture.store.database import Store

    trail = AuditTrail(Store.open(f"sqlite:///{tmp_path / 'a.db'}"), tmp_path / "k.key")
    trail.append(_records(25, "2020-01-01"))
    trail.append(_records(5))

    async def one_pass():
        task = asyncio.get_running_loop().create_task(retention_loop(trail, 30, 3600))
        for _ in range(500):
            await asyncio.sleep(0.01)
            if trail.count() == 5:
                break
        task.cancel()

    asyncio.run(one_pass())
    report = trail.verify()
    assert trail.count() == 5 and report.ok and report.anchor_seq == 25


def test_no_retention_no_task():
    async def check():
        return start_retention(object(), None, 3600)

    assert asyncio.run(check()) is None


@pytest.mark.parametrize("days", [0, -3])
def test_retention_must_be_positive(days):
    with pytest.raises(ValueError):
        GatewayConfig.model_validate({"upstreams": [], "audit": {"retention_days": days}})
