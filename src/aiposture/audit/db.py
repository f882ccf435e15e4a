"""Database access for the audit trail, on the Store's database.

Appending must serialise across processes (several gateway workers share one
chain): on SQLite a `BEGIN IMMEDIATE` transaction takes the write lock before the
head is read; on PostgreSQL a transaction-scoped advisory lock does the same. The
audit engine on SQLite also runs with `synchronous=FULL`, so a committed batch is on
disk before any caller is told it was written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text

from aiposture.store.database import Store

_PG_LOCK_KEY = 0x41495053  # "AIPS": one advisory lock for the audit chain


def _sqlite_audit_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN IMMEDIATE ourselves
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class AuditDB:
    """The audit tables of one Store, with a write path that locks the chain."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.dialect = store.engine.dialect.name
        if self.dialect == "sqlite":
            self.engine: Engine = create_engine(store.engine.url)
            event.listen(self.engine, "connect", _sqlite_audit_connect)
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
        else:
            self.engine = store.engine
        self.mark = "?" if self.dialect == "sqlite" else "%s"  # the driver's placeholder
        self.last_checkpoint: tuple[int, str] | None = None  # cached by the writer

    @contextmanager
    def locked(self) -> Iterator[Connection]:
        """A transaction holding the chain's write lock."""
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            yield conn

    def seal(self, conn: Connection, kind: str) -> dict[str, Any] | None:
        row = (
            conn.execute(
                text(
                    "SELECT kind, seq, hash, time, key_id, signature FROM audit_seals WHERE kind = :k "
                    "ORDER BY seq DESC LIMIT 1"
                ),
                {"k": kind},
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def seals(self, kind: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT kind, seq, hash, time, key_id, signature FROM audit_seals WHERE kind = :k "
                    "ORDER BY seq"
                ),
                {"k": kind},
            ).mappings()
            return [dict(r) for r in rows]

    def stream(self, after_seq: int, chunk: int = 20000) -> Iterator[list[tuple]]:
        """Yield chunks of (seq, hash_prev, hash, body) in seq order after `after_seq`,
        through the raw driver cursor (server-side on PostgreSQL) to bound memory."""
        raw = self.engine.raw_connection()
        try:
            if self.dialect == "postgresql":
                cursor = raw.cursor(name="aiposture_audit_verify")
                cursor.itersize = chunk
                mark = "%s"
            else:
                cursor = raw.cursor()
                mark = "?"
            cursor.execute(
                f"SELECT seq, hash_prev, hash, body FROM audit_events WHERE seq > {mark} ORDER BY seq",
                (after_seq,),
            )
            while True:
                rows = cursor.fetchmany(chunk)
                if not rows:
                    break
                yield rows
            cursor.close()
            if self.dialect == "postgresql":
                raw.commit()
        finally:
            raw.close()

    def find_hash(self, digest: str) -> int | None:
        """The seq of the event whose hash is `digest` (slow path of verify only)."""
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT seq FROM audit_events WHERE hash = :h LIMIT 1"), {"h": digest}
            ).scalar()

    def close(self) -> None:
        if self.engine is not self.store.engine:
            self.engine.dispose()
