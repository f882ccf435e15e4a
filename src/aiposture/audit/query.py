"""Reading events back: search by principal, app, model, detector and time range
(eDiscovery), and iteration in seq order for export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from aiposture.audit.db import AuditDB


@dataclass
class EventFilter:
    principal: str | None = None
    app: str | None = None
    model: str | None = None
    detector: str | None = None
    action: str | None = None
    since: str | None = None  # ISO 8601 UTC text, inclusive
    until: str | None = None  # exclusive
    limit: int | None = None


def _where(flt: EventFilter) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    for column in ("principal", "app", "model", "action"):
        value = getattr(flt, column)
        if value:
            clauses.append(f"{column} = :{column}")
            params[column] = value
    if flt.detector:
        clauses.append("detectors LIKE :detector ESCAPE '!'")
        escaped = flt.detector.replace("!", "!!").replace("%", "!%").replace("_", "!_")
        params["detector"] = f"%,{escaped},%"
    if flt.since:
        clauses.append("time >= :since")
        params["since"] = flt.since
    if flt.until:
        clauses.append("time < :until")
        params["until"] = flt.until
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def iter_events(db: AuditDB, flt: EventFilter | None = None, chunk: int = 5000) -> Iterator[dict[str, Any]]:
    """Events as dicts (the AuditEvent fields with `hash_prev` and `hash`), in seq order,
    paged by seq so a large export never holds the table in memory."""
    flt = flt or EventFilter()
    where, params = _where(flt)
    joiner = " AND " if where else " WHERE "
    last, emitted = 0, 0
    with db.engine.connect() as conn:
        while True:
            size = chunk if flt.limit is None else min(chunk, flt.limit - emitted)
            if size <= 0:
                return
            sql = (
                f"SELECT seq, body, hash_prev, hash FROM audit_events{where}{joiner}seq > :after "
                f"ORDER BY seq LIMIT {int(size)}"
            )
            rows = conn.execute(text(sql), {**params, "after": last}).all()
            if not rows:
                return
            for seq, body, hash_prev, digest in rows:
                event = json.loads(body)
                event["hash_prev"], event["hash"] = hash_prev, digest
                yield event
                last = seq
            emitted += len(rows)


def count_events(db: AuditDB) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM audit_events")).scalar() or 0)
