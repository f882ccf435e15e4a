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
"""

from __future__ import annotations

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


class _State:
    """What the slow path needs to classify a break."""

    def __init__(self, prev: str, expected: int) -> None:
        self.prev = prev
        self.expected = expected
        self.last_link = ""  # hash_prev of the previous row
        self.pending: int | None = None  # seq of an unexplained break


def verify_chain(db: AuditDB, signer: Signer, chunk: int = 20000) -> VerifyReport:
    started = time.perf_counter()
    report = VerifyReport()
    anchor = _checked_seal(db, signer, "anchor", report)
    head = _checked_seal(db, signer, "head", report)
    checkpoints = {}
    for cp in db.seals("checkpoint"):
        if not signer.verify("checkpoint", cp["seq"], cp["hash"], cp["time"], cp["signature"]):
            report.add(cp["seq"], "bad-signature", "checkpoint signature does not verify")
        elif cp["seq"] > (anchor["seq"] if anchor else 0):
            checkpoints[cp["seq"]] = cp["hash"]
    report.anchor_seq = anchor["seq"] if anchor else 0
    state = _State(anchor["hash"] if anchor else GENESIS, report.anchor_seq + 1)
    count = 0
    for rows in db.stream(report.anchor_seq, chunk):
        if report.first_seq is None:
            report.first_seq = rows[0][0]
        _verify_rows(db, report, state, rows, checkpoints)
        count += len(rows)
        report.last_seq = rows[-1][0]
    if state.pending is not None:
        report.add(state.pending - 1, "modified", f"event {state.pending - 1} was changed and re-hashed")
    report.events = count
    _check_end(report, head, state)
    report.seconds = time.perf_counter() - started
    return report


def _verify_rows(
    db: AuditDB, report: VerifyReport, state: _State, rows: list[tuple], checkpoints: dict[int, str]
) -> None:
    """The hot loop: locals only; anything unusual goes to `_slow_path`."""
    sha256 = hashlib.sha256
    prev, expected, last_link = state.prev, state.expected, state.last_link
    for seq, hash_prev, digest, body in rows:
        if seq != expected or hash_prev != prev or sha256((prev + body).encode()).hexdigest() != digest:
            state.prev, state.expected, state.last_link = prev, expected, last_link
            _slow_path(db, report, state, seq, hash_prev, digest, body)
        elif state.pending is not None:
            report.add(state.pending - 1, "modified", f"event {state.pending - 1} was changed and re-hashed")
            state.pending = None
        if seq in checkpoints:
            report.checkpoints += 1
            if checkpoints[seq] != digest:
                report.add(seq, "checkpoint-mismatch", "event hash differs from the signed checkpoint")
        prev, expected, last_link = digest, seq + 1, hash_prev
    state.prev, state.expected, state.last_link = prev, expected, last_link


def _checked_seal(db: AuditDB, signer: Signer, kind: str, report: VerifyReport) -> dict | None:
    seals = db.seals(kind)
    if not seals:
        return None
    seal = seals[-1]
    if not signer.verify(kind, seal["seq"], seal["hash"], seal["time"], seal["signature"]):
        report.add(seal["seq"], "bad-signature", f"the {kind} seal's signature does not verify")
    return seal


def _slow_path(
    db: AuditDB, report: VerifyReport, state: _State, seq: int, hash_prev: str, digest: str, body: str
) -> None:
    if seq != state.expected:
        if seq > state.expected:
            span = f"{state.expected}" if seq == state.expected + 1 else f"{state.expected}..{seq - 1}"
            report.add(state.expected, "deleted", f"events {span} are missing")
        else:
            report.add(seq, "reordered", f"seq {seq} appears after {state.expected - 1}")
        state.pending = None
        return  # the link to the missing events cannot be checked; restart the chain here
    if hashlib.sha256((hash_prev + body).encode()).hexdigest() != digest:
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
    elif db.find_hash(hash_prev) is not None:
        report.add(seq, "reordered", f"event {seq} links to an event that is not its predecessor")
    else:
        state.pending = seq


def _check_end(report: VerifyReport, head: dict | None, state: _State) -> None:
    last = report.last_seq if report.last_seq is not None else report.anchor_seq
    if head is None:
        if report.events:
            report.add(None, "unsealed", "the signed head is missing")
        return
    if last < head["seq"]:
        report.add(last + 1, "truncated", f"events {last + 1}..{head['seq']} are missing at the end")
    elif last > head["seq"]:
        report.add(
            head["seq"] + 1, "unsealed", f"events {head['seq'] + 1}..{last} were appended outside the writer"
        )
    elif state.prev != head["hash"]:
        report.add(last, "modified", "the last event differs from the signed head")
