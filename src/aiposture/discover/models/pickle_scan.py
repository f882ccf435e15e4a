"""A static pickle reader: it walks the opcode stream of every pickle protocol (0–5)
and reports what a `pickle.load` would import and call, without loading anything.

The opcode table comes from `pickletools.opcodes` (argument encodings and stack
effects); the interpretation is ours. A small symbolic machine tracks the stack and
the memo so that `STACK_GLOBAL`'s operands are known even when they were memoised,
fetched back, or computed (a computed operand is itself a finding). Memory stays
bounded whatever the input: payloads are skipped, the memo keeps a window of values,
and long runs of plain data opcodes (numbers, containers) are consumed by one
regular-expression match instead of one Python step each.

The fast path loses the values it skips over. Whenever a later opcode would need one
of them (a `STACK_GLOBAL` fed from a skipped region), the machine raises
`_NeedExact` and the caller rescans that pickle opcode by opcode.
"""

from __future__ import annotations

import codecs
import pickletools
import struct
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiposture.discover.models.stream import ByteReader, SubStream

MAX_PROTOCOL = 5
PICKLE_MARKERS = tuple(bytes([0x80, p]) for p in range(2, MAX_PROTOCOL + 1))
# Opcodes a protocol 0/1 pickle (no PROTO marker) may reasonably start with.
LEGACY_START = frozenset(b"(cNIJKLMSTUVX]}).lFGgdhjP")


@dataclass(frozen=True)
class PickleLimits:
    max_ops: int = 100_000_000
    max_bytes: int | None = None  # per pickle stream; None: the file size bounds it
    max_depth: int = 3  # nested pickles inside pickle bytes
    max_memo: int = 10_000_000
    max_stack: int = 2_000_000
    max_line: int = 1 << 16
    memo_window: int = 200_000
    max_globals: int = 10_000


@dataclass
class PickleEvent:
    """Something the reader saw. `kind` is one of: global, dynamic_global, ext,
    build_on_global, malformed, limit, joblib, trailing, nested."""

    kind: str
    offset: int
    module: str = ""
    name: str = ""
    detail: str = ""
    depth: int = 0
    count: int = 1
    called: bool = False


@dataclass
class PickleResult:
    events: list[PickleEvent] = field(default_factory=list)
    pickles: int = 0
    ops: int = 0
    protocol: int | None = None
    complete: bool = True  # False when a stream was truncated, malformed or cut at a limit


class _Sentinel:
    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<{self.label}>"


OTHER = _Sentinel("value")  # a value we do not track
MARK = _Sentinel("mark")
RUN = _Sentinel("skipped")  # produced inside a fast-path run: value unknown
OPAQUE = _Sentinel("opaque")  # below the stack part we know after a fast-path run
LONGSTR = _Sentinel("long string")


class GlobalRef:
    __slots__ = ("module", "name", "offset")

    def __init__(self, module: str, name: str, offset: int) -> None:
        self.module, self.name, self.offset = module, name, offset


class Call:
    """The result of calling `func` (REDUCE, NEWOBJ, OBJ, INST); BUILD sets `state`."""

    __slots__ = ("func", "args", "state")

    def __init__(self, func: Any, args: Any) -> None:
        self.func, self.args, self.state = func, args, None


class Malformed(Exception):
    pass


class LimitReached(Exception):
    pass


class _NeedExact(Exception):
    pass


class _Stop(Exception):
    pass


# --- the opcode table, from pickletools -------------------------------------------

_FIXED, _LINE, _LEN1, _LEN4S, _LEN4U, _LEN8U, _NOARG = range(7)
_ARG_KIND = {
    pickletools.UP_TO_NEWLINE: _LINE,
    pickletools.TAKEN_FROM_ARGUMENT1: _LEN1,
    pickletools.TAKEN_FROM_ARGUMENT4: _LEN4S,
    pickletools.TAKEN_FROM_ARGUMENT4U: _LEN4U,
    pickletools.TAKEN_FROM_ARGUMENT8U: _LEN8U,
}
_LEN_SIZE = {_LEN1: 1, _LEN4S: 4, _LEN4U: 4, _LEN8U: 8}
_LEN_FMT = {_LEN1: "<B", _LEN4S: "<i", _LEN4U: "<I", _LEN8U: "<Q"}


@dataclass(frozen=True)
class _Op:
    name: str
    code: int
    arg_kind: int
    arg_size: int
    to_mark: bool  # pops down to the topmost MARK first
    pops: int  # items popped (below the mark when to_mark)
    pushes: int


def _build_table() -> dict[int, _Op]:
    table: dict[int, _Op] = {}
    for op in pickletools.opcodes:
        code = op.code.encode("latin-1")[0]
        if op.arg is None:
            kind, size = _NOARG, 0
        elif op.arg.n >= 0:
            kind, size = _FIXED, op.arg.n
        else:
            kind, size = _ARG_KIND[op.arg.n], 0
        before = op.stack_before
        if pickletools.markobject in before:
            to_mark, pops = True, before.index(pickletools.markobject)
        else:
            to_mark, pops = False, len(before)
        table[code] = _Op(op.name, code, kind, size, to_mark, pops, len(op.stack_after))
    return table


OPS = _build_table()
_C = {op.name: op.code for op in OPS.values()}

# Plain data opcodes: numbers, None/bools, containers, marks, short strings, memo
# stores with the next sequential key, frame headers. A run of them changes nothing
# we track except the stack shape and the memo size, so a tight scan skips it.
_T_STOP, _T_MEMOIZE, _T_SHORT_STR, _T_SHORT_BYTES, _T_BINPUT, _T_LONG_BINPUT, _T_BINUNICODE = (
    0,
    -1,
    -2,
    -3,
    -4,
    -5,
    -6,
)
_TOKLEN = [_T_STOP] * 256
for _c in b"N\x88\x89])}\x8f(aelt\x85\x86\x87dsu\x90\x91":
    _TOKLEN[_c] = 1
for _c, _n in ((b"K", 2), (b"M", 3), (b"J", 5), (b"G", 9), (b"\x95", 9), (b"h", 2), (b"j", 5)):
    _TOKLEN[_c[0]] = _n
_TOKLEN[0x94] = _T_MEMOIZE
_TOKLEN[0x8C] = _T_SHORT_STR
_TOKLEN[0x43] = _T_SHORT_BYTES
_TOKLEN[0x71] = _T_BINPUT
_TOKLEN[0x72] = _T_LONG_BINPUT
_TOKLEN[0x58] = _T_BINUNICODE
# a run may start with any of these (never with a memo store: it would store a value
# produced before the run, which we want to keep)
_RUN_START = frozenset(
    c for c in range(256) if _TOKLEN[c] > 0 or _TOKLEN[c] in (_T_SHORT_STR, _T_BINUNICODE)
) - {0x95, 0x68, 0x6A}
_MIN_RUN = 64
# After a fast run these need the values the run would have produced: run slowly.
_NEEDS_VALUES = frozenset(
    [_C["STACK_GLOBAL"], _C["BUILD"], _C["REDUCE"], _C["NEWOBJ"], _C["NEWOBJ_EX"], _C["OBJ"]]
)
_STR_LIMIT = 1024
_SHORT_BYTES = 64


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
            if self.result.pickles and not _looks_like_pickle(head):
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
        except _Stop:
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
            if fast and code in _RUN_START and r.base + i >= slow_until and not self.memo_extra:
                e, memoized = _scan_run(buf, i, self.memo_dense)
                nxt = buf[e] if e < len(buf) else -1
                if e - i >= _MIN_RUN and nxt not in _NEEDS_VALUES:
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
                stack.append(_decode_utf8(buf[i + 2 : i + 2 + n]))
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
    def _generic(self, op: _Op, offset: int) -> None:
        arg = self._read_arg(op, offset)
        handler = _HANDLERS.get(op.name)
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

    def _read_arg(self, op: _Op, offset: int) -> Any:
        r = self.r
        kind = op.arg_kind
        if kind == _NOARG:
            r.pos += 1
            return None
        if kind == _FIXED:
            if not r.fill(1 + op.arg_size):
                raise Malformed(f"truncated {op.name}")
            arg = r.buf[r.pos + 1 : r.pos + 1 + op.arg_size]
            r.pos += 1 + op.arg_size
            return arg
        if kind == _LINE:
            r.pos += 1
            if op.name in ("GLOBAL", "INST"):
                return (self._read_line(op), self._read_line(op))
            return self._read_line(op)
        size = _LEN_SIZE[kind]
        if not r.fill(1 + size):
            raise Malformed(f"truncated {op.name}")
        (length,) = struct.unpack_from(_LEN_FMT[kind], r.buf, r.pos + 1)
        r.pos += 1 + size
        if length < 0:
            raise Malformed(f"negative length in {op.name}")
        return _Payload(length, r.offset)

    def _read_line(self, op: _Op) -> bytes:
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

    def _payload_bytes(self, payload: _Payload, name: str, keep: int) -> bytes | None:
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
        if not found and any(ev.kind == "malformed" for ev in child.events):
            return  # bytes that only looked like a pickle: not a finding
        self._event("nested", offset, detail=f"pickle embedded in pickle bytes ({child.pickles} stream(s))")
        self.result.events.extend(found)
        self.result.ops += child.ops
        if not child.complete and found:
            self.result.complete = False


def _scan_run(buf: bytes, i: int, memo: int) -> tuple[int, int]:  # noqa: C901 - hot loop
    """End of the run of plain data opcodes starting at `i` (within `buf`), and how many
    memo entries it stores. Memo stores must use the next sequential key."""
    n = len(buf)
    toklen = _TOKLEN
    first_memo = memo
    while i < n:
        t = toklen[buf[i]]
        if t > 0:
            if i + t > n:
                break
            i += t
        elif t == _T_MEMOIZE:
            memo += 1
            i += 1
        elif t == _T_SHORT_STR:
            if i + 1 >= n:
                break
            j = i + 2 + buf[i + 1]
            if j > n:
                break
            i = j
        elif t == _T_BINPUT:
            if i + 1 >= n or buf[i + 1] != memo:
                break
            memo += 1
            i += 2
        elif t == _T_SHORT_BYTES:
            if i + 1 >= n:
                break
            j = i + 2 + buf[i + 1]
            if j > n or buf[i + 2 : i + 4] in PICKLE_MARKERS or buf[i + 2 : i + 3] in _LEGACY_BYTES:
                break
            i = j
        elif t == _T_BINUNICODE or t == _T_LONG_BINPUT:
            if i + 5 > n:
                break
            value = int.from_bytes(buf[i + 1 : i + 5], "little")
            if t == _T_LONG_BINPUT:
                if value != memo:
                    break
                memo += 1
                i += 5
            else:
                j = i + 5 + value
                if value > 4096 or j > n:
                    break
                i = j
        else:
            break
    return i, memo - first_memo


_LEGACY_BYTES = frozenset(bytes([c]) for c in LEGACY_START)


class _Payload:
    """A length-prefixed argument not yet read: the machine decides to keep or skip it."""

    __slots__ = ("length", "offset")

    def __init__(self, length: int, offset: int) -> None:
        self.length, self.offset = length, offset


def _decode_utf8(data: bytes) -> Any:
    if len(data) > _STR_LIMIT:
        return LONGSTR
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        raise Malformed("invalid UTF-8 in a string opcode") from None


def _looks_like_pickle(head: bytes) -> bool:
    if not head:
        return False
    if head[0] == 0x80:
        return len(head) > 1 and head[1] <= MAX_PROTOCOL
    return head[0] in LEGACY_START


# --- handlers for the opcodes that matter ---------------------------------------------


def _h_string_payload(m: PickleMachine, payload: _Payload, offset: int, name: str, text: bool) -> None:
    data = m._payload_bytes(payload, name, _STR_LIMIT if text else _SHORT_BYTES)
    if data is not None:
        if text:
            m.stack.append(_decode_utf8(data))
        else:
            m.stack.append(data)
            _maybe_nested_small(m, data, payload.offset)
        return
    if text:
        m.r.skip(payload.length)
        m.stack.append(LONGSTR)
        return
    _bytes_payload(m, payload)
    m.stack.append(OTHER)


def _bytes_payload(m: PickleMachine, payload: _Payload) -> None:
    """A large bytes payload: scan it when it starts like a pickle (or an archive the
    caller knows), skip it otherwise."""
    r = m.r
    head = r.peek(min(payload.length, 4))
    if len(head) >= 2 and head[:2] in PICKLE_MARKERS:
        m.scan_nested(payload.length, payload.offset)
        return
    if head == b"PK\x03\x04" and m.on_embedded is not None:
        m.on_embedded("zip", r, payload.length, payload.offset, m.depth + 1)
        return
    if r.skip(payload.length) < payload.length:
        raise Malformed("truncated bytes payload")


def _maybe_nested_small(m: PickleMachine, data: bytes, offset: int) -> None:
    if len(data) < 2:
        return
    if data[:2] in PICKLE_MARKERS or (data[-1:] == b"." and data[0] in LEGACY_START and b"\n" in data):
        import io

        child_result = PickleResult()
        if m.depth + 1 > m.limits.max_depth:
            m._event("limit", offset, detail=f"nested pickle deeper than {m.limits.max_depth}")
            return
        child = PickleMachine(
            ByteReader(io.BytesIO(data), offset=offset),
            limits=m.limits,
            depth=m.depth + 1,
            exact=True,
            result=child_result,
            on_embedded=m.on_embedded,
            joblib=False,
        )
        child.scan_stream()
        m._merge_nested(child_result, offset)


def _h_unicode(m: PickleMachine, arg: Any, offset: int) -> None:
    _h_string_payload(m, arg, offset, "BINUNICODE", True)


def _h_bytes(m: PickleMachine, arg: Any, offset: int) -> None:
    _h_string_payload(m, arg, offset, "BINBYTES", False)


def _h_binstring(m: PickleMachine, arg: Any, offset: int) -> None:
    # py2 `str`: decoded as ASCII by default, bytes with encoding='bytes'
    data = m._payload_bytes(arg, "BINSTRING", _STR_LIMIT)
    if data is None:
        _bytes_payload(m, arg)
        m.stack.append(OTHER)
        return
    _maybe_nested_small(m, data, arg.offset)
    m.stack.append(data.decode("latin-1"))


def _h_text_unicode(m: PickleMachine, arg: bytes, offset: int) -> None:
    try:
        m.stack.append(arg.decode("raw-unicode-escape"))
    except UnicodeDecodeError:
        raise Malformed("invalid UNICODE argument") from None


def _h_text_string(m: PickleMachine, arg: bytes, offset: int) -> None:
    if len(arg) >= 2 and arg[:1] == arg[-1:] and arg[:1] in (b"'", b'"'):
        arg = arg[1:-1]
    else:
        raise Malformed("STRING argument is not quoted")
    try:
        data = codecs.escape_decode(arg)[0]
    except ValueError:
        raise Malformed("invalid STRING escape") from None
    _maybe_nested_small(m, data, offset)
    m.stack.append(data.decode("latin-1"))


def _h_int_text(m: PickleMachine, arg: bytes, offset: int) -> None:
    text = arg.rstrip(b"L")
    if text in (b"00", b"01"):
        m.stack.append(text == b"01")
        return
    try:
        m.stack.append(int(text))
    except ValueError:
        raise Malformed("invalid INT/LONG argument") from None


def _h_float_text(m: PickleMachine, arg: bytes, offset: int) -> None:
    try:
        m.stack.append(float(arg))
    except ValueError:
        raise Malformed("invalid FLOAT argument") from None


def _h_binint(m: PickleMachine, arg: bytes, offset: int) -> None:
    m.stack.append(int.from_bytes(arg, "little", signed=len(arg) == 4))


def _h_binfloat(m: PickleMachine, arg: bytes, offset: int) -> None:
    m.stack.append(struct.unpack(">d", arg)[0])


def _h_long_payload(m: PickleMachine, arg: _Payload, offset: int) -> None:
    data = m._payload_bytes(arg, "LONG", 64)
    if data is None:
        if m.r.skip(arg.length) < arg.length:
            raise Malformed("truncated LONG")
        m.stack.append(OTHER)
        return
    m.stack.append(int.from_bytes(data, "little", signed=True))


def _h_const(value: Any) -> Callable[[PickleMachine, Any, int], None]:
    def handler(m: PickleMachine, arg: Any, offset: int) -> None:
        m.stack.append(value)

    return handler


def _h_proto(m: PickleMachine, arg: bytes, offset: int) -> None:
    proto = arg[0]
    if proto > MAX_PROTOCOL:
        raise Malformed(f"unsupported pickle protocol {proto}")
    m.proto = proto
    if m.result.protocol is None:
        m.result.protocol = proto


def _h_frame(m: PickleMachine, arg: bytes, offset: int) -> None:
    return None


def _h_stop(m: PickleMachine, arg: Any, offset: int) -> None:
    m._pop()
    m.result.ops += m.ops
    raise _Stop


def _split_text_global(arg: tuple[bytes, bytes], opname: str) -> tuple[str, str]:
    try:
        return arg[0].decode("utf-8"), arg[1].decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed(f"{opname} names are not UTF-8") from None


def _h_global(m: PickleMachine, arg: tuple[bytes, bytes], offset: int) -> None:
    module, name = _split_text_global(arg, "GLOBAL")
    m.stack.append(m.record_global(module, name, offset, "GLOBAL"))


def _h_inst(m: PickleMachine, arg: tuple[bytes, bytes], offset: int) -> None:
    module, name = _split_text_global(arg, "INST")
    ref = m.record_global(module, name, offset, "INST")
    args = m._pop_mark()
    m.mark_called(ref)
    m.stack.append(Call(ref, tuple(args)))


def _h_stack_global(m: PickleMachine, arg: Any, offset: int) -> None:
    name = m._pop()
    module = m._pop()
    if type(module) is str and type(name) is str:
        m.operand_strings.add(module)
        m.operand_strings.add(name)
        m.stack.append(m.record_global(module, name, offset, "STACK_GLOBAL"))
        return
    if not m.exact and (module is RUN or name is RUN or module is OPAQUE or name is OPAQUE):
        raise _NeedExact
    detail = f"operands are {_describe(module)} and {_describe(name)}"
    m._event("dynamic_global", offset, module=_label(module), name=_label(name), detail=detail)
    m.stack.append(OTHER)


def _describe(value: Any) -> str:
    if type(value) is str:
        return f"the string {value!r}"
    if isinstance(value, GlobalRef):
        return f"the object {value.module}.{value.name}"
    if isinstance(value, Call):
        return f"the result of calling {_label(value.func)}"
    if isinstance(value, _Sentinel):
        return f"a {value.label}"
    return f"a {type(value).__name__}"


def _label(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, GlobalRef):
        return f"{value.module}.{value.name}"
    return "?"


def _h_reduce(m: PickleMachine, arg: Any, offset: int) -> None:
    args = m._pop()
    func = m._pop()
    m.mark_called(func)
    m.stack.append(Call(func, args))


def _h_newobj(m: PickleMachine, arg: Any, offset: int) -> None:
    args = m._pop()
    cls = m._pop()
    m.mark_called(cls)
    m.stack.append(Call(cls, args))


def _h_newobj_ex(m: PickleMachine, arg: Any, offset: int) -> None:
    m._pop()
    args = m._pop()
    cls = m._pop()
    m.mark_called(cls)
    m.stack.append(Call(cls, args))


def _h_obj(m: PickleMachine, arg: Any, offset: int) -> None:
    items = m._pop_mark()
    if not items:
        raise Malformed("OBJ without a class")
    m.mark_called(items[0])
    m.stack.append(Call(items[0], tuple(items[1:])))


def _h_build(m: PickleMachine, arg: Any, offset: int) -> None:
    state = m._pop()
    target = m.stack[-1] if m.stack else m._underflow()
    if isinstance(target, GlobalRef):
        m._event(
            "build_on_global",
            offset,
            module=target.module,
            name=target.name,
            detail="BUILD sets attributes on an imported object (monkey-patching)",
        )
    elif isinstance(target, Call):
        target.state = state
        if m.joblib and _is_joblib_wrapper(target.func):
            from aiposture.discover.models.joblib_format import after_wrapper_build

            after_wrapper_build(m, target, offset)


def _is_joblib_wrapper(func: Any) -> bool:
    return (
        isinstance(func, GlobalRef)
        and func.name == "NumpyArrayWrapper"
        and func.module.endswith("joblib.numpy_pickle")
    )


def _h_ext(m: PickleMachine, arg: bytes, offset: int) -> None:
    code = int.from_bytes(arg, "little")
    m._event("ext", offset, detail=f"extension registry code {code}")
    m.stack.append(OTHER)


def _h_get_text(m: PickleMachine, arg: bytes, offset: int) -> None:
    try:
        key = int(arg)
    except ValueError:
        raise Malformed("invalid GET argument") from None
    m.stack.append(m._memo_get(key))


def _h_long_binget(m: PickleMachine, arg: bytes, offset: int) -> None:
    m.stack.append(m._memo_get(int.from_bytes(arg, "little")))


def _h_put_text(m: PickleMachine, arg: bytes, offset: int) -> None:
    try:
        key = int(arg)
    except ValueError:
        raise Malformed("invalid PUT argument") from None
    m._memo_put(key, m.stack[-1] if m.stack else m._underflow())


def _h_long_binput(m: PickleMachine, arg: bytes, offset: int) -> None:
    m._memo_put(int.from_bytes(arg, "little"), m.stack[-1] if m.stack else m._underflow())


def _h_binget(m: PickleMachine, arg: bytes, offset: int) -> None:  # via the generic path
    m.stack.append(m._memo_get(arg[0]))


def _h_binput(m: PickleMachine, arg: bytes, offset: int) -> None:
    m._memo_put(arg[0], m.stack[-1] if m.stack else m._underflow())


def _h_memoize(m: PickleMachine, arg: Any, offset: int) -> None:
    m._memo_put(m._memo_len(), m.stack[-1] if m.stack else m._underflow())


def _h_mark(m: PickleMachine, arg: Any, offset: int) -> None:
    m.stack.append(MARK)


def _h_dup(m: PickleMachine, arg: Any, offset: int) -> None:
    m.stack.append(m.stack[-1] if m.stack else m._underflow())


def _h_tuple_n(n: int) -> Callable[[PickleMachine, Any, int], None]:
    def handler(m: PickleMachine, arg: Any, offset: int) -> None:
        items = [m._pop() for _ in range(n)]
        items.reverse()
        m.stack.append(tuple(items))

    return handler


def _h_tuple(m: PickleMachine, arg: Any, offset: int) -> None:
    items = m._pop_mark()
    m.stack.append(tuple(items) if len(items) <= 32 else OTHER)


def _h_empty_dict(m: PickleMachine, arg: Any, offset: int) -> None:
    m.stack.append({})


def _h_dict(m: PickleMachine, arg: Any, offset: int) -> None:
    items = m._pop_mark()
    m.stack.append(_small_dict(items))


def _h_setitem(m: PickleMachine, arg: Any, offset: int) -> None:
    value = m._pop()
    key = m._pop()
    target = m.stack[-1] if m.stack else m._underflow()
    if type(target) is dict:
        _dict_add(target, key, value)


def _h_setitems(m: PickleMachine, arg: Any, offset: int) -> None:
    items = m._pop_mark()
    target = m.stack[-1] if m.stack else m._underflow()
    if type(target) is dict:
        for k in range(0, len(items) - 1, 2):
            _dict_add(target, items[k], items[k + 1])


def _small_dict(items: list[Any]) -> Any:
    result: dict[Any, Any] = {}
    for k in range(0, len(items) - 1, 2):
        _dict_add(result, items[k], items[k + 1])
    return result


def _dict_add(target: dict[Any, Any], key: Any, value: Any) -> None:
    if len(target) < 64 and type(key) in (str, int):
        target[key] = value


_HANDLERS: dict[str, Callable[[PickleMachine, Any, int], None]] = {
    "SHORT_BINUNICODE": _h_unicode,
    "BINUNICODE": _h_unicode,
    "BINUNICODE8": _h_unicode,
    "SHORT_BINBYTES": _h_bytes,
    "BINBYTES": _h_bytes,
    "BINBYTES8": _h_bytes,
    "BYTEARRAY8": _h_bytes,
    "SHORT_BINSTRING": _h_binstring,
    "BINSTRING": _h_binstring,
    "UNICODE": _h_text_unicode,
    "STRING": _h_text_string,
    "INT": _h_int_text,
    "LONG": _h_int_text,
    "FLOAT": _h_float_text,
    "BININT": _h_binint,
    "BININT1": _h_binint,
    "BININT2": _h_binint,
    "BINFLOAT": _h_binfloat,
    "LONG1": _h_long_payload,
    "LONG4": _h_long_payload,
    "NONE": _h_const(None),
    "NEWTRUE": _h_const(True),
    "NEWFALSE": _h_const(False),
    "EMPTY_TUPLE": _h_const(()),
    "PROTO": _h_proto,
    "FRAME": _h_frame,
    "STOP": _h_stop,
    "GLOBAL": _h_global,
    "INST": _h_inst,
    "STACK_GLOBAL": _h_stack_global,
    "REDUCE": _h_reduce,
    "NEWOBJ": _h_newobj,
    "NEWOBJ_EX": _h_newobj_ex,
    "OBJ": _h_obj,
    "BUILD": _h_build,
    "EXT1": _h_ext,
    "EXT2": _h_ext,
    "EXT4": _h_ext,
    "GET": _h_get_text,
    "BINGET": _h_binget,
    "LONG_BINGET": _h_long_binget,
    "PUT": _h_put_text,
    "BINPUT": _h_binput,
    "LONG_BINPUT": _h_long_binput,
    "MEMOIZE": _h_memoize,
    "MARK": _h_mark,
    "DUP": _h_dup,
    "TUPLE1": _h_tuple_n(1),
    "TUPLE2": _h_tuple_n(2),
    "TUPLE3": _h_tuple_n(3),
    "TUPLE": _h_tuple,
    "EMPTY_DICT": _h_empty_dict,
    "DICT": _h_dict,
    "SETITEM": _h_setitem,
    "SETITEMS": _h_setitems,
}


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
    except _NeedExact:
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
