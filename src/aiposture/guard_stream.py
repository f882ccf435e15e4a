"""Batch guarding of JSONL: one `{"id", "text"}` object per line in, one
`{"id", ...Verdict}` per line out, in input order.

A line that is not valid UTF-8, not JSON, or has no string `text` becomes an error
record `{"id", "line", "error"}` (and an error message for stderr) while the rest is
processed; `id` is the line's own id wherever it can be read (a scalar), else null.
Small inputs run in this process; past `PARALLEL_MIN_LINES` lines the stream is cut
into chunks that a pool of worker processes (one `Guard` each, built once) checks
with an ordered `imap`, so output order is input order.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from aiposture.guard import DIRECTIONS, Guard
from aiposture.model import Direction

PARALLEL_MIN_LINES = 2000
CHUNK_LINES = 128


@dataclass(frozen=True)
class Outcome:
    """One output line, the stderr message for a bad input line, and the action."""

    line: int
    json: str
    error: str | None = None
    action: str | None = None


def _error(line: int, message: str, id_: object = None) -> Outcome:
    record = {"id": id_, "line": line, "error": message}
    return Outcome(line, json.dumps(record, ensure_ascii=False), f"line {line}: {message}")


def parse_line(line: int, raw: bytes) -> tuple[object, str, str | None] | Outcome:
    """(id, text, direction or None) or the error Outcome for this line."""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _error(line, f"invalid UTF-8 at byte {exc.start}", _readable_id(raw))
    try:
        obj = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return _error(line, f"malformed JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return _error(line, "malformed JSON: nested too deeply")
    if not isinstance(obj, dict):
        return _error(line, "expected a JSON object with 'id' and 'text'")
    id_ = obj.get("id")
    text = obj.get("text")
    if not isinstance(text, str):
        return _error(line, "missing string field 'text'", _scalar_id(id_))
    direction = obj.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        return _error(line, f"direction must be one of {', '.join(DIRECTIONS)}", _scalar_id(id_))
    return id_, text, direction


def _scalar_id(value: object) -> object:
    return value if _is_scalar(value) else None


def _readable_id(raw: bytes) -> object:
    """The id of a line that is not UTF-8 when the bad bytes lie elsewhere (a Latin-1 'é'
    in the text, say), so that its error record names the input as the other per-line
    errors do; an id that itself holds a bad byte is not guessed at (null, the line
    number still says which input it was)."""
    try:
        obj = json.loads(raw.decode("utf-8", "surrogateescape"))
    except (json.JSONDecodeError, RecursionError):
        return None
    id_ = _scalar_id(obj.get("id")) if isinstance(obj, dict) else None
    if isinstance(id_, str):
        try:
            id_.encode("utf-8")
        except UnicodeEncodeError:
            return None
    return id_


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def check_line(guard: Guard, line: int, raw: bytes, direction: Direction) -> Outcome:
    parsed = parse_line(line, raw)
    if isinstance(parsed, Outcome):
        return parsed
    id_, text, override = parsed
    verdict = guard.check(text, override or direction)
    record = {"id": id_, **verdict.model_dump(mode="json")}
    return Outcome(line, json.dumps(record, ensure_ascii=False), None, verdict.action)


# -- worker processes ----------------------------------------------------------------------

_WORKER_GUARD: Guard | None = None


def _init_worker(policy: str | None) -> None:
    """A forked worker inherits the parent's compiled guard; a spawned one builds its own."""
    global _WORKER_GUARD
    if _WORKER_GUARD is None:
        _WORKER_GUARD = Guard(policy)


def _check_chunk(args: tuple[list[tuple[int, bytes]], str]) -> list[Outcome]:
    chunk, direction = args
    assert _WORKER_GUARD is not None
    return [check_line(_WORKER_GUARD, n, raw, direction) for n, raw in chunk]  # type: ignore[arg-type]


def _numbered(lines: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    for n, raw in enumerate(lines, start=1):
        if n == 1:  # a UTF-8 byte order mark (Notepad, PowerShell 5 `Out-File`) is not part of the JSON
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        raw = raw.rstrip(b"\r\n")
        if raw.strip():
            yield n, raw


def scan_lines(lines: Iterable[bytes], guard: Guard, direction: Direction = "prompt",
               policy_path: str | Path | None = None, workers: int = 0) -> Iterator[Outcome]:
    """Guard every JSONL line; parallel over `workers` processes (0: one per core) when
    the input is larger than PARALLEL_MIN_LINES lines."""
    numbered = _numbered(lines)
    head = list(islice(numbered, PARALLEL_MIN_LINES))
    workers = workers or os.cpu_count() or 1
    if len(head) < PARALLEL_MIN_LINES or workers == 1:
        for n, raw in head:
            yield check_line(guard, n, raw, direction)
        for n, raw in numbered:
            yield check_line(guard, n, raw, direction)
        return
    yield from _scan_parallel(guard, head, numbered, direction, policy_path, workers)


def _chunks(head: list[tuple[int, bytes]], rest: Iterator[tuple[int, bytes]], direction: str
            ) -> Iterator[tuple[list[tuple[int, bytes]], str]]:
    for i in range(0, len(head), CHUNK_LINES):
        yield head[i:i + CHUNK_LINES], direction
    while chunk := list(islice(rest, CHUNK_LINES)):
        yield chunk, direction


def _scan_parallel(guard: Guard, head: list[tuple[int, bytes]], rest: Iterator[tuple[int, bytes]],
                   direction: str, policy_path: str | Path | None, workers: int) -> Iterator[Outcome]:
    global _WORKER_GUARD
    fork = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    policy = str(policy_path) if policy_path is not None else None
    _WORKER_GUARD = guard if fork else None
    try:
        with context.Pool(workers, initializer=_init_worker, initargs=(policy,)) as pool:
            for outcomes in pool.imap(_check_chunk, _chunks(head, rest, direction)):
                yield from outcomes
    finally:
        _WORKER_GUARD = None
