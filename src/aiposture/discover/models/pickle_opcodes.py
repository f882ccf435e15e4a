"""The pickle opcode table (from `pickletools.opcodes`: argument encodings, stack
effects), the values the symbolic machine tracks, and the scan over runs of plain
data opcodes that the fast path steps over."""

from __future__ import annotations

import pickletools
import re
from dataclasses import dataclass, field
from typing import Any

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


class Sentinel:
    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        self.label = label

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<{self.label}>"


OTHER = Sentinel("value")  # a value we do not track
MARK = Sentinel("mark")
RUN = Sentinel("skipped")  # produced inside a fast-path run: value unknown
OPAQUE = Sentinel("opaque")  # below the stack part we know after a fast-path run
LONGSTR = Sentinel("long string")


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


class NeedExact(Exception):
    pass


class Stop(Exception):
    pass


# --- the opcode table, from pickletools -------------------------------------------

FIXED, LINE, _LEN1, _LEN4S, _LEN4U, _LEN8U, NOARG = range(7)
_ARG_KIND = {
    pickletools.UP_TO_NEWLINE: LINE,
    pickletools.TAKEN_FROM_ARGUMENT1: _LEN1,
    pickletools.TAKEN_FROM_ARGUMENT4: _LEN4S,
    pickletools.TAKEN_FROM_ARGUMENT4U: _LEN4U,
    pickletools.TAKEN_FROM_ARGUMENT8U: _LEN8U,
}
LEN_SIZE = {_LEN1: 1, _LEN4S: 4, _LEN4U: 4, _LEN8U: 8}
LEN_FMT = {_LEN1: "<B", _LEN4S: "<i", _LEN4U: "<I", _LEN8U: "<Q"}


@dataclass(frozen=True)
class Op:
    name: str
    code: int
    arg_kind: int
    arg_size: int
    to_mark: bool  # pops down to the topmost MARK first
    pops: int  # items popped (below the mark when to_mark)
    pushes: int


def _build_table() -> dict[int, Op]:
    table: dict[int, Op] = {}
    for op in pickletools.opcodes:
        code = op.code.encode("latin-1")[0]
        if op.arg is None:
            kind, size = NOARG, 0
        elif op.arg.n >= 0:
            kind, size = FIXED, op.arg.n
        else:
            kind, size = _ARG_KIND[op.arg.n], 0
        before = op.stack_before
        if pickletools.markobject in before:
            to_mark, pops = True, before.index(pickletools.markobject)
        else:
            to_mark, pops = False, len(before)
        table[code] = Op(op.name, code, kind, size, to_mark, pops, len(op.stack_after))
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
RUN_START = frozenset(c for c in range(256) if _TOKLEN[c] > 0 or _TOKLEN[c] in (_T_SHORT_STR, _T_BINUNICODE)) - {
    0x95,
    0x68,
    0x6A,
}
MIN_RUN = 64
# After a fast run these need the values the run would have produced: run slowly.
NEEDS_VALUES = frozenset([_C["STACK_GLOBAL"], _C["BUILD"], _C["REDUCE"], _C["NEWOBJ"], _C["NEWOBJ_EX"], _C["OBJ"]])
STR_LIMIT = 1024
SHORT_BYTES = 64


_FIXED_RUN = re.compile(
    rb"(?:[N\x88\x89\]\)\}\x8f\(aelt\x85\x86\x87dsu\x90\x91]|K.|M..|J....|G.{8}|\x95.{8}|h.|j....)*",
    re.DOTALL,
)


def scan_run(buf: bytes, i: int, memo: int) -> tuple[int, int]:  # noqa: C901 - hot loop
    """End of the run of plain data opcodes starting at `i` (within `buf`), and how many
    memo entries it stores. Memo stores must use the next sequential key.

    The hottest loop of the scanner: token kinds are literals (see _TOKLEN), the
    common `string, MEMOIZE` pair is taken in one step, and bounds are checked only
    near the end of the buffer (no fixed token is longer than 9 bytes)."""
    n = len(buf)
    safe = n - 16
    toklen = _TOKLEN
    first_memo = memo
    fixed_run = _FIXED_RUN.match
    while i < safe:
        t = toklen[buf[i]]
        if t > 0:
            i += t
            if toklen[buf[i]] > 0:  # two fixed tokens in a row: a list of numbers, probably
                i = fixed_run(buf, i).end()
        elif t == -2:  # SHORT_BINUNICODE, often followed by MEMOIZE
            j = i + 2 + buf[i + 1]
            if j >= n:
                break
            if buf[j] == 0x94:
                memo += 1
                j += 1
            i = j
        elif t == -1:  # MEMOIZE
            memo += 1
            i += 1
        else:
            break
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
            if j > n or buf[i + 2 : i + 4] in PICKLE_MARKERS or buf[i + 2 : i + 3] in LEGACY_BYTES:
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


LEGACY_BYTES = frozenset(bytes([c]) for c in LEGACY_START)


class Payload:
    """A length-prefixed argument not yet read: the machine decides to keep or skip it."""

    __slots__ = ("length", "offset")

    def __init__(self, length: int, offset: int) -> None:
        self.length, self.offset = length, offset


def decode_utf8(data: bytes) -> Any:
    if len(data) > STR_LIMIT:
        return LONGSTR
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        raise Malformed("invalid UTF-8 in a string opcode") from None


def looks_like_pickle_start(head: bytes) -> bool:
    if not head:
        return False
    if head[0] == 0x80:
        return len(head) > 1 and head[1] <= MAX_PROTOCOL
    return head[0] in LEGACY_START
