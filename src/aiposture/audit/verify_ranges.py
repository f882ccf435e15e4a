"""`audit verify` over seq ranges in parallel processes, with the result of one pass.

Verifying is reading and hashing each row (~2.4 µs of CPU an event on the development
machine), so a million events take a core for seconds; the chain is cut into one seq
range per usable core and each range is checked by its own process on its own
database connection (the first range in the calling process).

Why the result equals a single pass: every check of a row depends only on the row and
the pass's state after the row before it — that row's stored hash, seq and link, read
from the database — plus one bit of history, the `pending` break that the next row
confirms or explains. A range starts from the stored state of the last event before it
and re-derives `pending` by replaying (without reporting) the events just before its
start until one of them is not an unexplained link break, after which the state no
longer depends on anything earlier; where every replayed event is such a break it
replays further back, as far as the chain's start. So a break at a range boundary is
named by exactly one range, as a single pass would name it, and only the last range
reports a break left pending at the end. Tests compare both on tampering at each
boundary.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aiposture.audit.db import AuditDB, EventReader
from aiposture.audit.verify import ChainState, VerifyReport, link_break_only, verify_rows

PARALLEL_FROM = 200_000  # events; below, one process is faster than starting others
_REPLAY = 16  # events replayed before a range's start to re-derive `pending`


@dataclass
class RangeResult:
    ok: bool
    issues: list[dict[str, Any]]
    events: int
    checkpoints: int
    first_seq: int | None
    last_seq: int | None
    state: ChainState = field(repr=False)


def verify_ranges(
    db: AuditDB,
    start: ChainState,
    anchor_seq: int,
    checkpoints: dict[int, bytes],
    chunk: int,
    workers: int | None = None,
    parallel_from: int | None = None,
) -> list[RangeResult]:
    """Verify every event after `anchor_seq`, in order of the ranges."""
    reader = db.reader()
    try:
        bounds = _bounds(reader, anchor_seq, workers, PARALLEL_FROM if parallel_from is None else parallel_from)
        if len(bounds) == 1:
            return [verify_range(reader, start, anchor_seq, anchor_seq, None, checkpoints, chunk)]
        with ProcessPoolExecutor(len(bounds) - 1, mp_context=_mp_context()) as pool:
            futures = [
                pool.submit(_range_in_child, db.url, start, anchor_seq, lo, hi, checkpoints, chunk)
                for lo, hi in bounds[1:]
            ]
            first = verify_range(reader, start, anchor_seq, *bounds[0], checkpoints, chunk)
            return [first, *(f.result() for f in futures)]
    finally:
        reader.close()


def verify_range(
    reader: Any,
    start: ChainState,
    anchor_seq: int,
    lo: int,
    hi: int | None,
    checkpoints: dict[int, bytes],
    chunk: int,
) -> RangeResult:
    """Events with lo < seq <= hi (no upper bound when hi is None)."""
    report = VerifyReport()
    state = _state_before(reader, start, anchor_seq, lo)
    events = 0
    for rows in reader.stream(lo, hi, chunk):
        if report.first_seq is None:
            report.first_seq = rows[0][0]
        verify_rows(reader, report, state, rows, checkpoints)
        events += len(rows)
        report.last_seq = rows[-1][0]
    return RangeResult(report.ok, report.issues, events, report.checkpoints, report.first_seq, report.last_seq, state)


def _state_before(reader: Any, start: ChainState, anchor_seq: int, lo: int) -> ChainState:
    """The state a single pass would have after every event with seq <= lo."""
    back = _REPLAY
    while True:
        base = lo - back
        row = reader.last_before(base, anchor_seq) if base > anchor_seq else None
        if row is None:  # nothing between the anchor and base: the anchor's state is exact
            state, settled, base = _copy(start), True, anchor_seq
        else:
            state, settled = ChainState(row[2], row[0] + 1, row[1]), False
        scratch = VerifyReport()
        for replayed in reader.rows(base, lo):
            if not link_break_only(state, replayed):
                settled = True
            verify_rows(reader, scratch, state, [replayed], {})
        if settled:
            return state
        back *= 4


def _copy(state: ChainState) -> ChainState:
    out = ChainState(state.prev, state.expected, state.last_link)
    out.pending = state.pending
    return out


def _bounds(reader: Any, anchor_seq: int, workers: int | None, parallel_from: int) -> list[tuple[int, int | None]]:
    last = reader.max_seq()
    span = (last or anchor_seq) - anchor_seq
    workers = workers or _usable_cores()
    if workers <= 1 or span < max(parallel_from, workers):
        return [(anchor_seq, None)]
    step = -(-span // workers)
    cuts = [anchor_seq + k * step for k in range(workers)]
    return [(lo, hi) for lo, hi in zip(cuts, cuts[1:], strict=False)] + [(cuts[-1], None)]


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _mp_context():
    """fork where it is safe (no other thread in this process holds a lock a child could
    inherit), else spawn."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _range_in_child(url: str, *args: Any) -> RangeResult:
    """`verify_range` in a worker process, on its own connection (args as verify_range's after the reader)."""
    reader = EventReader.from_url(url)
    try:
        return verify_range(reader, *args)
    finally:
        reader.close()
