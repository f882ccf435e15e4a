"""The posture evidence log: a small, stable interface through which any part records
a fact that posture checks read later — `aiposture audit verify` records
("audit-verify", subject, passed, detail={"events": n}); a red-team run records
("redteam-run", app or target, passed, detail={"app", "target", "success_rate"}).
It lives in the store layer so that audit, redteam and govern can all use it
without importing each other."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from aiposture.errors import StoreError
from aiposture.store.database import Store
from aiposture.store.tables_govern import EvidenceRow

AUDIT_VERIFY = "audit-verify"
REDTEAM_RUN = "redteam-run"


def record_evidence(
    store: Store,
    kind: str,
    subject: str,
    passed: bool,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    try:
        with store.session() as s:
            s.add(
                EvidenceRow(
                    kind=kind, subject=subject, passed=passed, at=at or datetime.now(UTC), detail=detail or {}
                )
            )
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot record evidence: {exc.__class__.__name__}") from exc


def latest_evidence(store: Store, kind: str, limit: int = 1000) -> list[EvidenceRow]:
    """The newest records of a kind, newest first."""
    try:
        with store.session() as s:
            query = (
                select(EvidenceRow)
                .where(EvidenceRow.kind == kind)
                .order_by(EvidenceRow.at.desc(), EvidenceRow.id.desc())
            )
            return list(s.execute(query.limit(limit)).scalars())
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read evidence: {exc.__class__.__name__}") from exc
