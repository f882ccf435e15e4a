"""What approvals and elevations share: a store session whose database errors become
`StoreError`, timestamps read back as UTC, and bounded names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from aiposture.errors import InputError, StoreError
from aiposture.store.database import Store


@contextmanager
def guarded_session(store: Store, what: str) -> Iterator[Session]:
    try:
        with store.session() as s:
            yield s
    except SQLAlchemyError as exc:
        raise StoreError(f"{what}: {exc.__class__.__name__}: {getattr(exc, 'orig', None) or exc}") from exc


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive; every one we store is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def check_name(value: Any, what: str) -> str:
    """A principal (or its name), an approver, a sponsor: 1-256 characters."""
    name = getattr(value, "name", value)
    if not isinstance(name, str) or not name.strip() or len(name) > 256:
        raise InputError(f"{what} must be a name of 1-256 characters")
    return name
