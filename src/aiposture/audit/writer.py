"""The audit write path: a queue drained by one thread into chained, fsync'd batches.

Callers `submit` a record and get a Future that resolves only once the batch holding
it is committed (group commit): the gateway answers a client after its event is on
disk, so a `kill -9` loses no event whose request succeeded. Under load the queue
fills while a batch commits, so batches grow and the fsync cost is shared.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiposture.audit.chain import GENESIS, chain_hash, detectors_of, event_body, utc_now_text
from aiposture.audit.db import AuditDB
from aiposture.audit.signing import Signer
from aiposture.errors import StoreError

_COLUMNS = "seq, time, principal, end_user, app, model, direction, action, detectors, body, hash_prev, hash"


@dataclass
class WriterSettings:
    max_batch: int = 2000
    checkpoint_every: int = 10000  # events between signed checkpoints
    checkpoint_seconds: float = 300.0


def append_batch(
    db: AuditDB, signer: Signer, records: list[dict[str, Any]], settings: WriterSettings | None = None
) -> list[int]:
    """Append records to the chain in one locked transaction; return their seqs.
    Statements go to the driver's cursor directly (executemany on tuples): at thousands
    of events a second, SQLAlchemy's per-statement handling would cost more than hashing."""
    settings = settings or WriterSettings()
    mark = db.mark
    with db.appending() as cur:
        cur.execute(f"SELECT seq, hash FROM audit_seals WHERE kind = {mark} ORDER BY seq DESC LIMIT 1", ("head",))
        head = cur.fetchone()
        seq, prev = (head[0], head[1]) if head else (0, GENESIS)
        rows, seqs = [], []
        for record in records:
            seq += 1
            if not record.get("time"):  # the same instant in the column and the hashed body
                record = {**record, "time": utc_now_text()}
            body = event_body(seq, record)
            digest = chain_hash(prev, body)
            verdict = record.get("verdict") or {}
            rows.append(
                (
                    seq,
                    record["time"],
                    record.get("principal"),
                    record.get("end_user"),
                    record.get("app"),
                    record.get("model"),
                    record.get("direction"),
                    verdict.get("action"),
                    detectors_of(record),
                    body,
                    prev,
                    digest,
                )
            )
            seqs.append(seq)
            prev = digest
        cur.executemany(f"INSERT INTO audit_events ({_COLUMNS}) VALUES ({', '.join([mark] * 12)})", rows)
        now = utc_now_text()
        _write_seal(cur, db, signer, "head", seq, prev, now, replace=True)
        if _checkpoint_due(db, cur, seq, settings):
            _write_seal(cur, db, signer, "checkpoint", seq, prev, now, replace=False)
            db.last_checkpoint = (seq, time.time())
    return seqs


def _checkpoint_due(db: AuditDB, cur: Any, seq: int, settings: WriterSettings) -> bool:
    """Due every `checkpoint_every` events or `checkpoint_seconds`. The last checkpoint
    is cached per process; another worker's newer one only makes ours come early."""
    if db.last_checkpoint is None:
        cur.execute(
            f"SELECT seq, time FROM audit_seals WHERE kind = {db.mark} ORDER BY seq DESC LIMIT 1", ("checkpoint",)
        )
        last = cur.fetchone()
        db.last_checkpoint = (last[0], _unix_time(last[1])) if last else (0, 0.0)
    last_seq, last_time = db.last_checkpoint
    if not last_time or seq - last_seq >= settings.checkpoint_every:
        return True
    return time.time() - last_time >= settings.checkpoint_seconds


def _unix_time(when: str) -> float:
    return datetime.strptime(when, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def _write_seal(
    cur: Any, db: AuditDB, signer: Signer, kind: str, seq: int, digest: str, when: str, replace: bool
) -> None:
    mark = db.mark
    if replace:
        cur.execute(f"DELETE FROM audit_seals WHERE kind = {mark}", (kind,))
    cur.execute(
        "INSERT INTO audit_seals (kind, seq, hash, time, key_id, signature) "
        f"VALUES ({', '.join([mark] * 6)})",
        (kind, seq, digest, when, signer.key_id, signer.sign(kind, seq, digest, when)),
    )


class AuditWriter:
    """Background group-commit writer. `submit` is thread-safe and cheap."""

    def __init__(self, db: AuditDB, signer: Signer, settings: WriterSettings | None = None) -> None:
        self.db = db
        self.signer = signer
        self.settings = settings or WriterSettings()
        self._queue: queue.SimpleQueue[tuple[dict[str, Any], Future] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="aiposture-audit-writer", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, record: dict[str, Any]) -> Future:
        future: Future = Future()
        if self._closed:
            future.set_exception(StoreError("audit writer is closed"))
            return future
        record.setdefault("time", utc_now_text())
        self._queue.put((record, future))
        return future

    def write(self, record: dict[str, Any], timeout: float = 30.0) -> int:
        """Submit and wait until durable; returns the event's seq."""
        return self.submit(record).result(timeout)

    def close(self, timeout: float = 10.0) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                break
            batch = [item]
            while len(batch) < self.settings.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            try:
                self._commit(batch)
            except Exception:  # noqa: BLE001 - the writer thread must never die
                for _, future in batch:
                    _settle(future, exc=StoreError("audit write failed"))

    def _commit(self, batch: list[tuple[dict[str, Any], Future]]) -> None:
        for attempt in range(3):
            try:
                seqs = append_batch(self.db, self.signer, [r for r, _ in batch], self.settings)
            except Exception as exc:  # noqa: BLE001 - every failure must reach the waiting callers
                if attempt == 2:
                    error = StoreError(f"audit write failed: {exc.__class__.__name__}")
                    for _, future in batch:
                        _settle(future, exc=error)
                    return
                time.sleep(0.05 * (attempt + 1))
                continue
            for seq, (_, future) in zip(seqs, batch, strict=True):
                _settle(future, result=seq)
            return


def _settle(future: Future, result: int | None = None, exc: Exception | None = None) -> None:
    """Resolve a caller's future unless the caller gave up on it (a cancelled request:
    its event is written all the same)."""
    if future.done():
        return
    try:
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)
    except InvalidStateError:
        pass
