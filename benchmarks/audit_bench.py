"""Audit trail throughput: chained, fsync'd writes to SQLite, and `verify` over
1,000,000 events.

    .venv/bin/python benchmarks/audit_bench.py [--events 1000000] [--writes 50000] [--dir DIR]

Write throughput is measured two ways: the gateway's path (`AuditWriter.submit` from
several threads, group commit, synchronous=FULL) and direct batches of 1,000
(`append_batch`). The events look like the gateway's: verdict with scores, masked
detections, usage, ~300 bytes of redacted prompt. The verify figure rehashes the
whole chain and checks every signed checkpoint and the head, once in one process and
once in seq ranges over one process per usable core (the default). There is no peer for
this figure: no open-source AI gateway we know of chains or signs its audit log
(LiteLLM writes spend logs to PostgreSQL, unchained), so the table reports ours
against the target of the issue.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from aiposture.audit.trail import AuditTrail
from aiposture.store.database import Store


def record(i: int) -> dict:
    blocked = i % 11 == 0
    return {
        "principal": f"svc-{i % 17}",
        "end_user": f"user{i % 300}@contoso.com",
        "app": f"app-{i % 5}",
        "model": "gpt-4o-mini",
        "direction": "prompt",
        "verdict": {
            "action": "block" if blocked else "allow",
            "risk": 0.97 if blocked else 0.0,
            "scores": {"injection": 0.97 if blocked else 0.01, "pii": 0.0, "secrets": 0.0},
            "detections": [
                {
                    "detector": "injection",
                    "type": "PROMPT_INJECTION",
                    "start": 0,
                    "end": 40,
                    "score": 0.97,
                    "text": "Igno…[40 chars]",
                }
            ]
            if blocked
            else [],
            "policy": "block-injection" if blocked else None,
        },
        "data": {
            "route": "/v1/chat/completions",
            "status": 403 if blocked else 200,
            "request_id": f"{i:032x}",
            "client_ip": "10.0.0.7",
            "upstream": "openai",
            "latency_ms": 1.84,
            "upstream_ms": 0.9,
            "usage": {"prompt_tokens": 250, "completion_tokens": 40, "total_tokens": 290},
            "prompt": [
                "Summarise the attached contract for [EMAIL_ADDRESS] and list every obligation "
                "with its deadline, grouped by party, in a table. " * 2
            ],
        },
    }


def bench_writer(trail: AuditTrail, n: int, threads: int = 8) -> tuple[float, float]:
    per = n // threads

    def work(offset: int) -> None:
        futures = [trail.writer.submit(record(offset + i)) for i in range(per)]
        for f in futures:
            f.result(60)

    started, cpu = time.perf_counter(), time.process_time()
    pool = [threading.Thread(target=work, args=(k * per,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    n = per * threads
    return n / (time.perf_counter() - started), n / (time.process_time() - cpu)


def bench_batches(trail: AuditTrail, n: int, batch: int = 1000) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, n, batch):
        trail.append([record(i) for i in range(start, start + batch)])
    return n / (time.perf_counter() - started), n / (time.process_time() - cpu)


def timed_verify(trail: AuditTrail, workers: int | None = None):
    """The report and events per CPU-second, counting the worker processes' CPU too."""
    before = os.times()
    report = trail.verify(workers=workers)
    after = os.times()
    cpu = sum(getattr(after, f) - getattr(before, f) for f in ("user", "system", "children_user", "children_system"))
    return report, report.events / max(1e-9, cpu)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--writes", type=int, default=50_000)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="aiposture-audit-bench-"))
    store = Store.open(f"sqlite:///{folder / 'audit.db'}")
    trail = AuditTrail(store, folder / "audit.key")
    writer_rate = bench_writer(trail, args.writes)
    batch_rate = bench_batches(trail, args.writes)
    remaining = args.events - trail.count()
    fill_started = time.perf_counter()
    for start in range(0, remaining, 5000):
        trail.append([record(i) for i in range(start, min(start + 5000, remaining))])
    fill = time.perf_counter() - fill_started
    trail.close()  # as `aiposture audit verify` runs: no writer thread (workers are forked, not spawned)
    trail = AuditTrail(store, folder / "audit.key")
    verifies = {}
    for workers in (1, None):
        timed = [timed_verify(trail, workers) for _ in range(3)]
        assert all(r.ok for r, _ in timed), timed[0][0].issues
        verifies[workers] = timed
    size_mb = (folder / "audit.db").stat().st_size / 1e6
    events, checkpoints = verifies[1][0][0].events, verifies[1][0][0].checkpoints
    print(f"events in chain: {events:,} ({size_mb:,.0f} MB SQLite, {checkpoints} checkpoints)")
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; per CPU-second = events / "
        "process CPU time (excludes time the process waited for a core or the disk)"
    )
    print("| figure | events/s (wall) | events per CPU-second | target |")
    print("| --- | ---: | ---: | ---: |")
    print(
        f"| write, gateway path (8 threads, group commit, synchronous=FULL) | {writer_rate[0]:,.0f} "
        f"| {writer_rate[1]:,.0f} | >= 5,000 |"
    )
    print(f"| write, batches of 1,000 | {batch_rate[0]:,.0f} | {batch_rate[1]:,.0f} | >= 5,000 |")
    if remaining > 0:
        print(f"| write, batches of 5,000 (filling the chain) | {remaining / fill:,.0f} | | |")
    for workers, timed in verifies.items():
        runs = [r for r, _ in timed]
        best = min(runs, key=lambda r: r.seconds)
        label = "1 process" if workers == 1 else f"ranges over {_cores()} processes"
        print(
            f"| verify {best.events:,} events, {label} (best of 3: {best.seconds:.2f} s; "
            f"all: {', '.join(f'{r.rate:,.0f}' for r in runs)}) | {best.rate:,.0f} "
            f"| {max(c for _, c in timed):,.0f} | >= 200,000 |"
        )
    trail.close()
    store.close()


if __name__ == "__main__":
    main()
