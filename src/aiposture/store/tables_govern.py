"""Tables of the govern area: the posture of each run (estate and per app), and an
evidence log other parts write to (audit verifications, red-team runs) so that
posture checks can read operational state without importing those parts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aiposture.store.tables import Base


class PostureRow(Base):
    """One score of one run: scope is "estate" or "app:<name>"."""

    __tablename__ = "posture_scores"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(255), primary_key=True)
    target: Mapped[str] = mapped_column(Text, index=True)
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    score: Mapped[float] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float)
    data: Mapped[dict] = mapped_column(JSON)


class EvidenceRow(Base):
    """A fact a posture check can use: kind ("audit-verify", "redteam-run", ...),
    subject (an app or target), whether it passed, when, and details."""

    __tablename__ = "posture_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    passed: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
