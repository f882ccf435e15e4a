"""Principals (an app, a user or an agent) and their API keys.

A key is `aip_<key_id>_<secret>`: the key id (random, public) finds the row in one
indexed lookup, and only the SHA-256 of the whole key is stored, compared in constant
time. The secret has 256 bits of entropy, so a fast hash is the right tool (a
password hash would only slow every request down without adding safety).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import Literal

import re2
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from aiposture.errors import InputError
from aiposture.store.database import Store
from aiposture.store.tables_identity import PrincipalRow

PrincipalKind = Literal["app", "user", "agent"]
KINDS = ("app", "user", "agent")
_NAME = re2.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$")
_KEY = re2.compile(r"^aip_([0-9a-f]{16})_([A-Za-z0-9_-]{20,128})$")


class Principal(BaseModel):
    name: str
    kind: PrincipalKind
    app: str | None = None
    enabled: bool = True
    key_id: str
    created: datetime
    description: str = ""

    @property
    def app_name(self) -> str:
        """The app whose policy applies: the principal's app, else its own name."""
        return self.app or self.name


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    key_id = secrets.token_hex(8)
    return key_id, f"aip_{key_id}_{secrets.token_urlsafe(32)}"


def _to_model(row: PrincipalRow) -> Principal:
    return Principal(
        name=row.name,
        kind=row.kind,
        app=row.app,
        enabled=row.enabled,
        key_id=row.key_id,
        created=row.created,
        description=row.description,
    )


class Principals:
    """Principal records in a Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self, name: str, kind: str = "app", app: str | None = None, description: str = ""
    ) -> tuple[Principal, str]:
        """Create a principal; returns it and its API key, which is shown only now."""
        if not _NAME.match(name or ""):
            raise InputError(f"invalid principal name {name!r}: use letters, digits and ._@:-")
        if kind not in KINDS:
            raise InputError(f"invalid principal kind {kind!r}: one of {', '.join(KINDS)}")
        key_id, token = new_key()
        row = PrincipalRow(
            name=name,
            kind=kind,
            app=app,
            key_id=key_id,
            key_hash=hash_key(token),
            enabled=True,
            created=datetime.now(UTC),
            description=description,
            version=1,
        )
        try:
            with self.store.session() as s:
                s.add(row)
        except IntegrityError:
            raise InputError(f"principal {name!r} already exists") from None
        return _to_model(row), token

    def list(self) -> list[Principal]:
        with self.store.session() as s:
            return [
                _to_model(r) for r in s.execute(select(PrincipalRow).order_by(PrincipalRow.name)).scalars()
            ]

    def get(self, name: str) -> Principal | None:
        with self.store.session() as s:
            row = s.get(PrincipalRow, name)
            return _to_model(row) if row else None

    def set_enabled(self, name: str, enabled: bool) -> Principal:
        with self.store.session() as s:
            row = s.get(PrincipalRow, name)
            if row is None:
                raise InputError(f"no principal {name!r}")
            row.enabled = enabled
            row.version += 1
            return _to_model(row)

    def rotate(self, name: str) -> str:
        """Replace a principal's key; the old key stops working at once."""
        key_id, token = new_key()
        with self.store.session() as s:
            row = s.get(PrincipalRow, name)
            if row is None:
                raise InputError(f"no principal {name!r}")
            row.key_id, row.key_hash = key_id, hash_key(token)
            row.version += 1
        return token

    def authenticate(self, token: str | None) -> Principal | None:
        """The principal owning `token` (the caller checks `enabled`), or None if unknown or malformed."""
        match = _KEY.match(token or "")
        if not match:
            return None
        with self.store.session() as s:
            row = (
                s.execute(select(PrincipalRow).where(PrincipalRow.key_id == match.group(1))).scalars().first()
            )
            if row is None or not hmac.compare_digest(row.key_hash, hash_key(token)):
                return None
            return _to_model(row)
