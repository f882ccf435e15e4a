"""Tables of human-in-the-loop approvals and just-in-time elevations.

Both are decided by a conditional UPDATE (`... WHERE status = 'pending'`), so when two
people decide the same row at once exactly one update matches a row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aiposture.store.tables import Base


class ApprovalRow(Base):
    __tablename__ = "approvals"
    __table_args__ = (
        Index("ix_approvals_status", "status"),
        Index("ix_approvals_principal", "principal"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    principal: Mapped[str] = mapped_column(String(128))
    end_user: Mapped[str | None] = mapped_column(String(256), nullable=True)
    tool: Mapped[str] = mapped_column(String(256))
    arguments: Mapped[dict] = mapped_column(JSON)  # secrets masked
    arguments_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    risk: Mapped[str | None] = mapped_column(String(256), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    use_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    callback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class ElevationRow(Base):
    __tablename__ = "elevations"
    __table_args__ = (
        Index("ix_elevations_principal_status", "principal", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    principal: Mapped[str] = mapped_column(String(128))
    requested_by: Mapped[str] = mapped_column(String(256))
    scopes: Mapped[list] = mapped_column(JSON)
    minutes: Mapped[int] = mapped_column(Integer)
    justification: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # pending requests lapse
    decided_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    starts: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ends: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
