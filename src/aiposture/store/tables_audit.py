"""Tables of the audit trail.

An audit event keeps its canonical JSON `body` (what was hashed) next to the columns
that searches filter on, so verification rehashes stored bytes instead of rebuilding
JSON per row, and the columns can be indexed without touching the chain.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aiposture.store.tables import Base


class AuditEventRow(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_time", "time"),
        Index("ix_audit_events_principal", "principal"),
        Index("ix_audit_events_app", "app"),
        Index("ix_audit_events_model", "model"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    time: Mapped[str] = mapped_column(String(32))
    principal: Mapped[str | None] = mapped_column(String(128), nullable=True)
    end_user: Mapped[str | None] = mapped_column(String(256), nullable=True)
    app: Mapped[str | None] = mapped_column(String(128), nullable=True)
    model: Mapped[str | None] = mapped_column(String(256), nullable=True)
    direction: Mapped[str | None] = mapped_column(String(16), nullable=True)
    action: Mapped[str | None] = mapped_column(String(16), nullable=True)
    detectors: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    hash_prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditSealRow(Base):
    """Signed statements about the chain: `head` (latest seq/hash, one row, updated by
    every batch), `checkpoint` (periodic, kept), `anchor` (where the chain starts after
    a retention purge, one row)."""

    __tablename__ = "audit_seals"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    time: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(128))
