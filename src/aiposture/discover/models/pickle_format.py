"""Pickle streams (plain pickles, joblib, members of PyTorch checkpoints, npy object
arrays): run the opcode reader and turn what it saw into issues, classified by the
globals policy."""

from __future__ import annotations

import io
from collections.abc import Callable

from aiposture.discover.models.pickle_scan import PickleEvent, PickleResult, scan_pickle_stream
from aiposture.discover.models.policy import Verdict
from aiposture.discover.models.results import Blob, ScanContext
from aiposture.discover.models.stream import ByteReader

EmbeddedScan = Callable[[ScanContext, Blob], None]


def scan_pickle_reader(
    ctx: ScanContext,
    reader: ByteReader,
    *,
    where: str,
    reopen: Callable[[], ByteReader] | None = None,
    embedded: EmbeddedScan | None = None,
) -> bool:
    """Scan the pickles `reader` holds; returns True when the stream had to be read
    twice (the reader's hash is then incomplete)."""

    def on_embedded(kind: str, r: ByteReader, length: int, offset: int, depth: int) -> None:
        _scan_embedded(ctx, r, length, offset, where, embedded)

    result, reread = scan_pickle_stream(
        reader, limits=ctx.options.pickle, reopen=reopen, on_embedded=on_embedded if embedded else None
    )
    report_pickle(ctx, result, where)
    return reread


def _scan_embedded(
    ctx: ScanContext, r: ByteReader, length: int, offset: int, where: str, embedded: EmbeddedScan | None
) -> None:
    limit = ctx.options.archive.max_member_in_memory
    if embedded is None or length > limit:
        r.skip(length)
        if embedded is not None:
            ctx.issue(
                "AIP-MODEL-007",
                f"embedded archive of {length} bytes not scanned (limit {limit})",
                offset,
                where=where,
            )
        return
    depth = ctx.embedded_depth + 1
    if depth > ctx.options.archive.max_depth:
        r.skip(length)
        ctx.issue("AIP-MODEL-011", f"archives inside pickles nested deeper than {depth - 1}", offset, where=where)
        return
    data = r.read(length)
    ctx.issue("AIP-MODEL-008", "archive embedded in pickle bytes, scanned", offset, where=where)
    ctx.embedded_depth = depth
    try:
        embedded(ctx, Blob(name=f"{where}@{offset}", size=len(data), open=lambda: io.BytesIO(data), depth=depth))
    finally:
        ctx.embedded_depth = depth - 1


def report_pickle(ctx: ScanContext, result: PickleResult, where: str) -> None:
    if not where and any(ev.kind == "trailing" for ev in result.events):
        ctx.trailing_data = True
    for ev in result.events:
        _REPORTERS.get(ev.kind, _ignore)(ctx, ev, where)
    if result.pickles:
        ctx.issue(
            "AIP-MODEL-028",
            f"pickle protocol {result.protocol if result.protocol is not None else '0/1'}",
            where=where,
        )


def _nested(ev: PickleEvent, where: str) -> str:
    if not ev.depth:
        return where
    return f"{where} (nested pickle, depth {ev.depth})" if where else f"nested pickle, depth {ev.depth}"


def _report_global(ctx: ScanContext, ev: PickleEvent, where: str) -> None:
    klass = ctx.policy.classify(ev.module, ev.name)
    if klass.verdict == Verdict.SAFE:
        return
    called = ", called" if ev.called else ""
    times = f" ({ev.count}x)" if ev.count > 1 else ""
    detail = f"imports {ev.module}.{ev.name} via {ev.detail}{called}{times}: {klass.reason}"
    rule = "AIP-MODEL-001" if klass.verdict == Verdict.UNSAFE else "AIP-MODEL-002"
    ctx.issue(rule, detail, ev.offset, where=_nested(ev, where))


def _report(rule: str, prefix: str = "") -> Callable[[ScanContext, PickleEvent, str], None]:
    def reporter(ctx: ScanContext, ev: PickleEvent, where: str) -> None:
        name = f"{ev.module}.{ev.name}: " if ev.module and ev.kind == "build_on_global" else ""
        ctx.issue(rule, f"{prefix}{name}{ev.detail}", ev.offset, where=_nested(ev, where))

    return reporter


def _ignore(ctx: ScanContext, ev: PickleEvent, where: str) -> None:
    return None


_REPORTERS: dict[str, Callable[[ScanContext, PickleEvent, str], None]] = {
    "global": _report_global,
    "dynamic_global": _report("AIP-MODEL-003", "STACK_GLOBAL "),
    "ext": _report("AIP-MODEL-004"),
    "build_on_global": _report("AIP-MODEL-005"),
    "malformed": _report("AIP-MODEL-006", "pickle: "),
    "limit": _report("AIP-MODEL-007"),
    "nested": _report("AIP-MODEL-008"),
    "joblib": _report("AIP-MODEL-027"),
}
