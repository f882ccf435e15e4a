"""Tables of identities: principals (apps, users, agents) with their hashed API keys
and governance fields, their lifecycle events, and revoked tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aiposture.store.tables import Base


class PrincipalRow(Base):
    __tablename__ = "principals"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    app: Mapped[str | None] = mapped_column(String(128), nullable=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner: Mapped[str | None] = mapped_column(String(256), nullable=True)
    sponsors: Mapped[list] = mapped_column(JSON, default=list)
    blueprint: Mapped[str | None] = mapped_column(String(128), nullable=True)
    tools: Mapped[list] = mapped_column(JSON, default=list)
    models: Mapped[list] = mapped_column(JSON, default=lambda: ["*"])
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attest_every_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_attested: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PrincipalEventRow(Base):
    """Lifecycle history of a principal: created, disabled, enabled, attested, rotated."""

    __tablename__ = "principal_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    principal: Mapped[str] = mapped_column(String(128), index=True)
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(256), nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class TokenRevocationRow(Base):
    """A revoked token (`jti:<id>`) or principal (`sub:<name>`: every token issued to or
    for it at or before `revoked_at`). The key is the primary key: one indexed probe."""

    __tablename__ = "token_revocations"

    key: Mapped[str] = mapped_column(String(192), primary_key=True)
    revoked_at: Mapped[float] = mapped_column(Float)
    expires: Mapped[float] = mapped_column(Float, index=True)  # the row may go after this
    reason: Mapped[str] = mapped_column(Text, default="")
