"""Retention inside the gateway: with `audit.retention_days` set, events older than
that are purged at start and then every `retention_interval_s`, through the audit
trail's purge (which re-anchors the chain so the rest still verifies). The work runs
in a thread so that requests never wait for it; a failed purge is logged and retried
at the next interval, never fatal."""

from __future__ import annotations

import asyncio
import logging

from aiposture.audit.trail import AuditTrail

log = logging.getLogger("aiposture.gateway")


async def retention_loop(audit: AuditTrail, days: float, interval_s: float) -> None:
    while True:
        try:
            result = await asyncio.to_thread(audit.purge, days)
            log.info("audit retention: %s", result)
        except Exception as exc:  # noqa: BLE001 - retention must not take the gateway down
            log.warning("audit retention failed: %s: %s", exc.__class__.__name__, exc)
        await asyncio.sleep(interval_s)


def start_retention(audit: AuditTrail, days: float | None, interval_s: float) -> asyncio.Task | None:
    if not days:
        return None
    return asyncio.get_running_loop().create_task(retention_loop(audit, days, interval_s))
