"""Retention (seed 000: data lifecycle): purge events older than N days while the
rest of the chain still verifies.

The purge deletes a prefix of the chain — every event up to the last one before the
first event still inside the window — and records a signed `anchor` seal holding the
seq and hash of the last purged event. `verify` starts from the anchor instead of
the genesis hash, so the remaining events keep proving their order and content.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from aiposture.audit.chain import format_time, utc_now_text
from aiposture.audit.db import AuditDB
from aiposture.audit.signing import Signer
from aiposture.errors import InputError


def purge_older_than(db: AuditDB, signer: Signer, days: float, now: datetime | None = None) -> dict:
    if days < 0:
        raise InputError("retention days must be >= 0")
    cutoff = format_time((now or datetime.now(UTC)) - timedelta(days=days))
    with db.locked() as conn:
        first_kept = conn.execute(
            text("SELECT MIN(seq) FROM audit_events WHERE time >= :c"), {"c": cutoff}
        ).scalar()
        if first_kept is None:
            last_purged = conn.execute(text("SELECT MAX(seq) FROM audit_events")).scalar()
        else:
            last_purged = conn.execute(
                text("SELECT MAX(seq) FROM audit_events WHERE seq < :s"), {"s": first_kept}
            ).scalar()
        if last_purged is None:
            return {
                "purged": 0,
                "anchor_seq": (db.seal(conn, "anchor") or {}).get("seq", 0),
                "cutoff": cutoff,
            }
        digest = conn.execute(
            text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": last_purged}
        ).scalar()
        purged = conn.execute(text("DELETE FROM audit_events WHERE seq <= :s"), {"s": last_purged}).rowcount
        conn.execute(text("DELETE FROM audit_seals WHERE kind = 'anchor'"))
        conn.execute(
            text("DELETE FROM audit_seals WHERE kind = 'checkpoint' AND seq <= :s"), {"s": last_purged}
        )
        when = utc_now_text()
        conn.execute(
            text(
                "INSERT INTO audit_seals (kind, seq, hash, time, key_id, signature) "
                "VALUES ('anchor', :seq, :hash, :time, :key_id, :sig)"
            ),
            {
                "seq": last_purged,
                "hash": digest,
                "time": when,
                "key_id": signer.key_id,
                "sig": signer.sign("anchor", last_purged, digest, when),
            },
        )
    return {"purged": purged, "anchor_seq": last_purged, "cutoff": cutoff}
