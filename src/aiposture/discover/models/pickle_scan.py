"""A static pickle reader: it walks the opcode stream of every pickle protocol (0–5)
and reports what a `pickle.load` would import and call, without loading anything.

The opcode table comes from `pickletools.opcodes` (argument encodings and stack
effects); the interpretation is ours. A small symbolic machine tracks the stack and
the memo so that `STACK_GLOBAL`'s operands are known even when they were memoised,
fetched back, or computed (a computed operand is itself a finding). Memory stays
bounded whatever the input: payloads are skipped, the memo keeps a window of values,
and long runs of plain data opcodes (numbers, short strings, containers, memo
stores) are stepped over by a tight scan (`pickle_opcodes.scan_run`) instead of
being interpreted.

The fast path loses the values it skips over. Whenever a later opcode would need one
of them (a `STACK_GLOBAL` fed from a skipped region), the machine raises
`NeedExact` and the caller rescans that pickle opcode by opcode.
"""

from __future__ import annotations

import re
import struct
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from aiposture.discover.models.pickle_opcodes import (  # noqa: F401 - re-exported
    FIXED,
    LEGACY_START,
    LEN_FMT,
    LEN_SIZE,
    LINE,
    MARK,
    MAX_PROTOCOL,
    MIN_RUN,
    NEEDS_VALUES,
    NOARG,
    OPAQUE,
    OPS,
    OTHER,
    PICKLE_MARKERS,
    RUN,
    RUN_START,
    Call,
    GlobalRef,
    LimitReached,
    Malformed,
    NeedExact,
    Op,
    Payload,
    PickleEvent,
    PickleLimits,
    PickleResult,
    Stop,
    decode_utf8,
    looks_like_pickle_start,
    scan_run,
)
from aiposture.discover.models.pickle_ops import HANDLERS
from aiposture.discover.models.stream import ByteReader, SubStream


class PickleMachine:
    """Reads pickles from `reader` until the end of the stream (several pickles may
    follow each other). `on_embedded(kind, reader, length, offset, depth)` lets a
    caller scan a non-pickle payload (a zip) found in pickle bytes."""

    def __init__(
        self,
        reader: ByteReader,
        *,
        limits: PickleLimits | None = None,
        depth: int = 0,
        exact: bool = False,
        result: PickleResult | None = None,
        on_embedded: Callable[..., None] | None = None,
        joblib: bool = True,
    ) -> None:
        self.r = reader
        self.limits = limits or PickleLimits()
        self.depth = depth
        self.exact = exact
        self.result = result or PickleResult()
        self.on_embedded = on_embedded
        self.joblib = joblib
        self._globals: dict[tuple[str, str, str], PickleEvent] = {}
        self._reset()

    # --- state ----------------------------------------------------------------------
    def _reset(self) -> None:
        self.stack: list[Any] = []
        self.opaque = False
        self.memo_dense = 0
        self.memo_extra: set[int] = set()
        self.memo_vals: dict[int, Any] = {}
        self.memo_keep: dict[int, Any] = {}
        self.run_ranges: list[tuple[int, int]] = []
        self.evicted_below = 0
        self.operand_strings: set[str] = set()
        self.proto = 0
        self.ops = 0

    def _event(self, kind: str, offset: int, **fields: Any) -> PickleEvent:
        ev = PickleEvent(kind, offset, depth=self.depth, **fields)
        self.result.events.append(ev)
        return ev

    # --- entry points ---------------------------------------------------------------
    def scan_stream(self, *, first_only: bool = False) -> PickleResult:
        """Scan every pickle in the stream; what follows the last one that is not a
        pickle is noted (`trailing`) and skipped."""
        r = self.r
        while r.fill(1):
            start = r.offset
            head = r.peek(2)
            if self.result.pickles and not looks_like_pickle_start(head):
                self._event("trailing", start, detail="data after the last pickle")
                break
            ok = self._scan_one(start)
            if not ok or first_only:
                break
        return self.result

    def _scan_one(self, start: int) -> bool:
        self._reset()
        self.result.pickles += 1
        try:
            self._loop(start)
            return True
        except Stop:
            return True
        except Malformed as exc:
            self.result.ops += self.ops
            if self.result.pickles > 1 and not self._saw_globals_since(start):
                self._event("trailing", start, detail=f"data after the last pickle ({exc})")
            else:
                self._event("malformed", self.r.offset, detail=str(exc))
                self.result.complete = False
            return False
        except LimitReached as exc:
            self.result.ops += self.ops
            self._event("limit", self.r.offset, detail=str(exc))
            self.result.complete = False
            return False

    def _saw_globals_since(self, start: int) -> bool:
        return any(
            ev.offset >= start
            for ev in self.result.events
            if ev.kind in ("global", "dynamic_global", "ext", "build_on_global")
        )

    # --- the opcode loop ------------------------------------------------------------
    def _loop(self, start: int) -> None:  # noqa: C901 - the hot loop is kept in one piece
        r = self.r
        stack = self.stack
        limits = self.limits
        max_ops = limits.max_ops
        end_limit = start + limits.max_bytes if limits.max_bytes else None
        fast = not self.exact
        slow_until = -1
        ops = OPS
        while True:
            if r.pos >= len(r.buf) and not r.fill(1):
                raise Malformed("truncated: the stream ends before STOP")
            buf, i = r.buf, r.pos
            code = buf[i]
            self.ops += 1
            if self.ops > max_ops:
                raise LimitReached(f"more than {max_ops} opcodes in one pickle")
            if end_limit is not None and r.base + i > end_limit:
                raise LimitReached(f"pickle longer than {limits.max_bytes} bytes")
            # fast path: a long run of plain data opcodes
            if fast and code in RUN_START and r.base + i >= slow_until and not self.memo_extra:
                e, memoized = scan_run(buf, i, self.memo_dense)
                nxt = buf[e] if e < len(buf) else -1
                if e - i >= MIN_RUN and nxt not in NEEDS_VALUES:
                    self._fast_run(i, e, memoized)
                    r.pos = e
                    continue
                slow_until = r.base + e
            if code == 0x8C:  # SHORT_BINUNICODE
                if not r.fill(2):
                    raise Malformed("truncated SHORT_BINUNICODE")
                buf, i = r.buf, r.pos
                n = buf[i + 1]
                if not r.fill(2 + n):
                    raise Malformed("truncated SHORT_BINUNICODE")
                buf, i = r.buf, r.pos
                stack.append(decode_utf8(buf[i + 2 : i + 2 + n]))
                r.pos = i + 2 + n
            elif code == 0x94:  # MEMOIZE
                r.pos = i + 1
                self._memo_put(self._memo_len(), stack[-1] if stack else self._underflow())
            elif code == 0x4B:  # BININT1
                if not r.fill(2):
                    raise Malformed("truncated BININT1")
                stack.append(r.buf[r.pos + 1])
                r.pos += 2
            elif code == 0x68 or code == 0x71:  # BINGET / BINPUT
                if not r.fill(2):
                    raise Malformed("truncated memo index")
                key = r.buf[r.pos + 1]
                r.pos += 2
                if code == 0x68:
                    stack.append(self._memo_get(key))
                else:
                    self._memo_put(key, stack[-1] if stack else self._underflow())
            else:
                op = ops.get(code)
                if op is None:
                    raise Malformed(f"invalid opcode 0x{code:02x} at offset {r.base + i}")
                self._generic(op, r.base + i)
            if len(stack) > limits.max_stack:
                self._trim_stack()

    def _underflow(self) -> Any:
        if self.opaque:
            return OPAQUE
        raise Malformed("stack underflow")

    def _fast_run(self, i: int, e: int, memoized: int) -> None:
        self.ops += (e - i) >> 2
        if self.ops > self.limits.max_ops:
            raise LimitReached(f"more than {self.limits.max_ops} opcodes in one pickle")
        if memoized:
            first = self.memo_dense
            self.memo_dense += memoized
            if self.run_ranges and self.run_ranges[-1][1] == first:
                self.run_ranges[-1] = (self.run_ranges[-1][0], first + memoized)
            else:
                self.run_ranges.append((first, first + memoized))
            if self.memo_dense > self.limits.max_memo:
                raise LimitReached(f"memo larger than {self.limits.max_memo} entries")
        self.stack.clear()
        self.opaque = True

    def _trim_stack(self) -> None:
        half = len(self.stack) // 2
        del self.stack[:half]
        self.opaque = True

    # --- memo -----------------------------------------------------------------------
    def _memo_len(self) -> int:
        return self.memo_dense + len(self.memo_extra)

    def _memo_has(self, key: int) -> bool:
        return key < self.memo_dense or key in self.memo_extra

    def _memo_put(self, key: int, value: Any) -> None:
        if key < 0:
            raise Malformed("negative memo index")
        if key == self.memo_dense:
            self.memo_dense += 1
            extra = self.memo_extra
            while extra and self.memo_dense in extra:
                extra.discard(self.memo_dense)
                self.memo_dense += 1
        elif key > self.memo_dense:
            self.memo_extra.add(key)
            if len(self.memo_extra) > self.limits.max_memo:
                raise LimitReached(f"memo larger than {self.limits.max_memo} entries")
        if value is OTHER or value is MARK:
            self.memo_vals.pop(key, None)
            return
        vals = self.memo_vals
        vals[key] = value
        if len(vals) > self.limits.memo_window:
            self._evict_memo()

    def _evict_memo(self) -> None:
        """Keep the newest half of the window, plus the values a global may need."""
        vals = self.memo_vals
        keys = sorted(vals)
        cut = keys[len(keys) // 2]
        keep, operands = self.memo_keep, self.operand_strings
        for key in keys[: len(keys) // 2]:
            value = vals.pop(key)
            if isinstance(value, GlobalRef) or (type(value) is str and value in operands):
                if len(keep) < self.limits.max_globals:
                    keep[key] = value
        # values older than `cut` that were dropped read back as RUN (unknown)
        self.evicted_below = max(self.evicted_below, cut)

    def _memo_get(self, key: int) -> Any:
        value = self.memo_vals.get(key)
        if value is not None:
            return value
        value = self.memo_keep.get(key)
        if value is not None:
            return value
        if not self._memo_has(key):
            raise Malformed(f"memo key {key} was never stored")
        if key < self.evicted_below:
            return RUN
        ranges = self.run_ranges
        idx = bisect_right(ranges, (key, float("inf"))) - 1
        if idx >= 0 and ranges[idx][0] <= key < ranges[idx][1]:
            return RUN
        return OTHER

    # --- everything but the hottest opcodes -----------------------------------------
    def _generic(self, op: Op, offset: int) -> None:
        arg = self._read_arg(op, offset)
        handler = HANDLERS.get(op.name)
        if handler is not None:
            handler(self, arg, offset)
            return
        stack = self.stack
        if op.to_mark:
            self._pop_mark()
        for _ in range(op.pops):
            stack.pop() if stack else self._underflow()
        for _ in range(op.pushes):
            stack.append(OTHER)

    def _read_arg(self, op: Op, offset: int) -> Any:
        r = self.r
        kind = op.arg_kind
        if kind == NOARG:
            r.pos += 1
            return None
        if kind == FIXED:
            if not r.fill(1 + op.arg_size):
                raise Malformed(f"truncated {op.name}")
            arg = r.buf[r.pos + 1 : r.pos + 1 + op.arg_size]
            r.pos += 1 + op.arg_size
            return arg
        if kind == LINE:
            r.pos += 1
            if op.name in ("GLOBAL", "INST"):
                return (self._read_line(op), self._read_line(op))
            return self._read_line(op)
        size = LEN_SIZE[kind]
        if not r.fill(1 + size):
            raise Malformed(f"truncated {op.name}")
        (length,) = struct.unpack_from(LEN_FMT[kind], r.buf, r.pos + 1)
        r.pos += 1 + size
        if length < 0:
            raise Malformed(f"negative length in {op.name}")
        return Payload(length, r.offset)

    def _read_line(self, op: Op) -> bytes:
        r = self.r
        start = r.pos
        while True:
            nl = r.buf.find(b"\n", start)
            if nl >= 0:
                line = r.buf[r.pos : nl]
                r.pos = nl + 1
                return line
            if len(r.buf) - r.pos > self.limits.max_line:
                raise Malformed(f"{op.name} argument line longer than {self.limits.max_line} bytes")
            start = len(r.buf) - r.pos
            if not r.fill(start + 1):
                raise Malformed(f"truncated {op.name}")
            start = r.pos + start

    def _pop_mark(self) -> list[Any]:
        stack = self.stack
        for k in range(len(stack) - 1, -1, -1):
            if stack[k] is MARK:
                items = stack[k + 1 :]
                del stack[k:]
                return items
        if self.opaque:
            items = stack[:]
            stack.clear()
            return items
        raise Malformed("no MARK on the stack")

    def _pop(self) -> Any:
        return self.stack.pop() if self.stack else self._underflow()

    def _payload_bytes(self, payload: Payload, name: str, keep: int) -> bytes | None:
        """The payload if it is at most `keep` bytes (consumed), else None (not consumed)."""
        if payload.length > keep:
            return None
        data = self.r.read(payload.length)
        if len(data) < payload.length:
            raise Malformed(f"truncated {name}")
        return data

    # --- recording ------------------------------------------------------------------
    def record_global(self, module: str, name: str, offset: int, how: str) -> GlobalRef:
        key = (module, name, how)
        ev = self._globals.get(key)
        if ev is None:
            if len(self._globals) >= self.limits.max_globals:
                raise LimitReached(f"more than {self.limits.max_globals} distinct globals")
            ev = self._event("global", offset, module=module, name=name, detail=how)
            self._globals[key] = ev
        else:
            ev.count += 1
        return GlobalRef(module, name, offset)

    def mark_called(self, func: Any) -> None:
        if isinstance(func, GlobalRef):
            for how in ("GLOBAL", "STACK_GLOBAL", "INST"):
                ev = self._globals.get((func.module, func.name, how))
                if ev is not None:
                    ev.called = True

    # --- nested payloads ------------------------------------------------------------
    def scan_nested(self, length: int, offset: int) -> None:
        """Scan `length` bytes at the reader's position as a nested pickle stream."""
        sub = SubStream(self.r, length)
        if self.depth + 1 > self.limits.max_depth:
            self._event("limit", offset, detail=f"nested pickle deeper than {self.limits.max_depth}")
            self.result.complete = False
            sub.finish()
            return
        child_result = PickleResult()
        child = PickleMachine(
            ByteReader(sub, offset=offset),
            limits=self.limits,
            depth=self.depth + 1,
            exact=True,
            result=child_result,
            on_embedded=self.on_embedded,
            joblib=False,
        )
        child.scan_stream()
        sub.finish()
        self._merge_nested(child_result, offset)

    def _merge_nested(self, child: PickleResult, offset: int) -> None:
        found = [ev for ev in child.events if ev.kind not in ("malformed", "trailing")]
        if any(ev.kind == "malformed" for ev in child.events):
            # bytes that only looked like a pickle (tensor data starting with 0x80 0x02):
            # keep only imports of real-looking names, which random bytes do not make
            found = [
                ev
                for ev in found
                if ev.kind in ("global", "build_on_global") and _NAME.match(ev.module) and _NAME.match(ev.name)
            ]
            if not found:
                return
        self._event("nested", offset, detail=f"pickle embedded in pickle bytes ({child.pickles} stream(s))")
        self.result.events.extend(found)
        self.result.ops += child.ops
        if not child.complete and found:
            self.result.complete = False


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def scan_pickle_stream(
    reader: ByteReader,
    *,
    limits: PickleLimits | None = None,
    reopen: Callable[[], ByteReader] | None = None,
    on_embedded: Callable[..., None] | None = None,
) -> tuple[PickleResult, bool]:
    """Scan every pickle in `reader`. Returns the result and whether the stream had to
    be read a second time (exactly) — then `reader`'s hash is incomplete and the caller
    must hash the file separately."""
    machine = PickleMachine(reader, limits=limits, on_embedded=on_embedded)
    try:
        return machine.scan_stream(), False
    except NeedExact:
        pass
    if reopen is None:
        exact = PickleMachine(reader, limits=limits, exact=True, on_embedded=on_embedded)
        exact._event(
            "limit",
            reader.offset,
            detail="a global's name came from skipped data and the stream cannot be re-read",
        )
        exact.result.complete = False
        return exact.result, False
    exact = PickleMachine(reopen(), limits=limits, exact=True, on_embedded=on_embedded)
    return exact.scan_stream(), True
