"""`audit verify`: rehash the chain and check its signed seals.

The hot loop touches only tuples from the driver and `hashlib` (no pydantic, no JSON
parsing), reading in chunks. A problem is classified on the slow path:
- `deleted`: a gap in seq numbers (or the first events after the anchor missing);
- `modified`: a body that no longer hashes to its stored hash, or a re-hashed event
  whose successor still points at the old hash;
- `inserted`: two consecutive events that point at the same predecessor;
- `reordered`: an event pointing at a hash that is not its predecessor's but one
  seen elsewhere in the chain;
- `truncated`: fewer events than the signed head says; `unsealed`: more;
- `bad-signature` / `checkpoint-mismatch`: a seal that was forged or contradicts the chain.

A long chain is verified in seq ranges by parallel processes (`audit.verify_ranges`),
each reading and hashing its own rows; the result is the one a single pass gives.
"""

from __future__ import annotations

import binascii
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from aiposture.audit.chain import GENESIS
from aiposture.audit.db import AuditDB
from aiposture.audit.signing import Signer

MAX_ISSUES = 100


@dataclass
class VerifyReport:
    ok: bool = True
    events: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    anchor_seq: int = 0
    checkpoints: int = 0
    issues: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def add(self, seq: int | None, kind: str, detail: str) -> None:
        self.ok = False
        if len(self.issues) < MAX_ISSUES:
            self.issues.append({"seq": seq, "kind": kind, "detail": detail})

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "anchor_seq": self.anchor_seq,
            "checkpoints": self.checkpoints,
            "issues": self.issues,
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.rate),
        }


class ChainState:
    """Where the pass stands after a row, and what the slow path needs to classify a
    break. Hashes are bytes (hex digits as stored)."""

    def __init__(self, prev: bytes, expected: int, last_link: bytes = b"") -> None:
        self.prev = prev
        self.expected = expected
        self.last_link = last_link  # hash_prev of the previous row
        self.pending: int | None = None  # seq of an unexplained break


def verify_chain(
    db: AuditDB, signer: Signer, chunk: int = 20000, workers: int | None = None, parallel_from: int | None = None
) -> VerifyReport:
    """Check the seals, then every event's hash and link. `workers` processes share a
    chain of at least `parallel_from` events (defaults: the usable cores, 200,000)."""
    from aiposture.audit.verify_ranges import RangeResult, verify_ranges

    started = time.perf_counter()
    report = VerifyReport()
    anchor = _checked_seal(db, signer, "anchor", report)
    head = _checked_seal(db, signer, "head", report)
    checkpoints: dict[int, bytes] = {}
    for cp in db.seals("checkpoint"):
        if not signer.verify("checkpoint", cp["seq"], cp["hash"], cp["time"], cp["signature"]):
            report.add(cp["seq"], "bad-signature", "checkpoint signature does not verify")
        elif cp["seq"] > (anchor["seq"] if anchor else 0):
            checkpoints[cp["seq"]] = cp["hash"].encode()
    report.anchor_seq = anchor["seq"] if anchor else 0
    start = ChainState((anchor["hash"] if anchor else GENESIS).encode(), report.anchor_seq + 1)
    parts: list[RangeResult] = verify_ranges(db, start, report.anchor_seq, checkpoints, chunk, workers, parallel_from)
    for part in parts:
        report.ok = report.ok and part.ok
        report.issues.extend(part.issues[: MAX_ISSUES - len(report.issues)])
        report.events += part.events
        report.checkpoints += part.checkpoints
        if report.first_seq is None:
            report.first_seq = part.first_seq
        if part.last_seq is not None:
            report.last_seq = part.last_seq
    state = parts[-1].state
    if state.pending is not None:
        report.add(state.pending - 1, "modified", f"event {state.pending - 1} was changed and re-hashed")
    _check_end(report, head, state)
    report.seconds = time.perf_counter() - started
    return report


def verify_rows(
    reader: Any, report: VerifyReport, state: ChainState, rows: list[tuple], checkpoints: dict[int, bytes]
) -> None:
    """The hot loop: locals only; anything unusual goes to `_slow_path`."""
    sha256, unhex = hashlib.sha256, binascii.unhexlify  # digest() == unhex(stored): 0.1 µs under hexdigest()
    prev, expected, last_link = state.prev, state.expected, state.last_link
    for seq, hash_prev, digest, body in rows:
        try:  # free in 3.11 unless raised
            stored = unhex(digest)
        except (binascii.Error, ValueError):  # not hex digits: matches no digest
            stored = b""
        if seq != expected or hash_prev != prev or sha256(prev + body).digest() != stored:
            state.prev, state.expected, state.last_link = prev, expected, last_link
            _slow_path(reader, report, state, seq, hash_prev, digest, body)
        elif state.pending is not None:
            report.add(state.pending - 1, "modified", f"event {state.pending - 1} was changed and re-hashed")
            state.pending = None
        if seq in checkpoints:
            report.checkpoints += 1
            if checkpoints[seq] != digest:
                report.add(seq, "checkpoint-mismatch", "event hash differs from the signed checkpoint")
        prev, expected, last_link = digest, seq + 1, hash_prev
    state.prev, state.expected, state.last_link = prev, expected, last_link


def link_break_only(state: ChainState, row: tuple) -> bool:
    """True for the one kind of row whose outcome depends on the state's `pending`: in
    sequence, intact body, but not linked to its predecessor. After any other row the
    state no longer depends on what came before it but that row itself."""
    seq, hash_prev, digest, body = row
    return (
        seq == state.expected
        and hash_prev != state.prev
        and hashlib.sha256(hash_prev + body).hexdigest().encode() == digest
    )


def _checked_seal(db: AuditDB, signer: Signer, kind: str, report: VerifyReport) -> dict | None:
    seals = db.seals(kind)
    if not seals:
        return None
    seal = seals[-1]
    if not signer.verify(kind, seal["seq"], seal["hash"], seal["time"], seal["signature"]):
        report.add(seal["seq"], "bad-signature", f"the {kind} seal's signature does not verify")
    return seal


def _slow_path(
    reader: Any, report: VerifyReport, state: ChainState, seq: int, hash_prev: bytes, digest: bytes, body: bytes
) -> None:
    if seq != state.expected:
        if seq > state.expected:
            span = f"{state.expected}" if seq == state.expected + 1 else f"{state.expected}..{seq - 1}"
            report.add(state.expected, "deleted", f"events {span} are missing")
        else:
            report.add(seq, "reordered", f"seq {seq} appears after {state.expected - 1}")
        state.pending = None
        return  # the link to the missing events cannot be checked; restart the chain here
    if hashlib.sha256(hash_prev + body).hexdigest().encode() != digest:
        report.add(seq, "modified", "event content does not match its hash")
        state.pending = None
        return
    if hash_prev == state.prev:
        return
    if state.pending is not None:
        report.add(state.pending, "reordered", f"events around {state.pending} are out of order")
        state.pending = None
    elif hash_prev == state.last_link:
        report.add(seq - 1, "inserted", f"event {seq - 1} was inserted: {seq} links past it")
    elif reader.find_hash(hash_prev.decode("ascii", "replace")) is not None:
        report.add(seq, "reordered", f"event {seq} links to an event that is not its predecessor")
    else:
        state.pending = seq


def _check_end(report: VerifyReport, head: dict | None, state: ChainState) -> None:
    last = report.last_seq if report.last_seq is not None else report.anchor_seq
    if head is None:
        if report.events:
            report.add(None, "unsealed", "the signed head is missing")
        return
    if last < head["seq"]:
        report.add(last + 1, "truncated", f"events {last + 1}..{head['seq']} are missing at the end")
    elif last > head["seq"]:
        report.add(head["seq"] + 1, "unsealed", f"events {head['seq'] + 1}..{last} were appended outside the writer")
    elif state.prev != head["hash"].encode():
        report.add(last, "modified", "the last event differs from the signed head")
