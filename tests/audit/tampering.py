"""Helpers that tamper with a stored chain behind the writer's back (tests only)."""

from __future__ import annotations

from sqlalchemy import text

from aiposture.audit.chain import chain_hash


def run_sql(trail, sql: str, **params) -> None:
    with trail.db.store.engine.begin() as conn:
        conn.execute(text(sql), params)


def event_row(trail, seq: int) -> dict:
    with trail.db.store.engine.connect() as conn:
        return dict(conn.execute(text("SELECT * FROM audit_events WHERE seq = :s"), {"s": seq}).mappings().one())


def rehash_event(trail, seq: int, old: str, new: str) -> None:
    """Change an event's body and give it the hash that matches (its successor still
    points at the old hash)."""
    row = event_row(trail, seq)
    body = row["body"].replace(old, new)
    run_sql(
        trail,
        "UPDATE audit_events SET body = :b, hash = :h WHERE seq = :s",
        b=body,
        h=chain_hash(row["hash_prev"], body),
        s=seq,
    )
