"""Token revocation shared by every gateway worker: a store table probed by primary
key on every verification, so a revocation written by one worker or by the CLI is
seen by the next request on any worker (no cache in between).

Keys are `jti:<token id>` (one token) and `sub:<principal>` (every token issued to or
for the principal at or before `revoked_at`; `iat` has whole seconds, so a token
issued in the same second as the revocation is refused too). A row may be purged
once every token it can match has expired.

On SQLite the probe uses a per-thread read-only sqlite3 connection (a few
microseconds); other databases go through SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from aiposture.errors import StoreError
from aiposture.store.database import Store
from aiposture.store.tables_identity import TokenRevocationRow

_PROBE = "SELECT key, revoked_at FROM token_revocations WHERE key IN ({})"


class Revocations:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._local = threading.local()
        url = store.engine.url
        database = url.database or ""
        file_db = url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
        self._sqlite_path = database if file_db else None

    # --- writing ---------------------------------------------------------------
    def _put(self, key: str, expires: float, reason: str) -> float:
        now = time.time()
        try:
            with self.store.session() as s:
                s.execute(delete(TokenRevocationRow).where(TokenRevocationRow.expires < now))
                row = s.get(TokenRevocationRow, key)
                if row is None:
                    s.add(TokenRevocationRow(key=key, revoked_at=now, expires=expires, reason=reason[:500]))
                else:
                    row.revoked_at, row.expires, row.reason = now, max(row.expires, expires), reason[:500]
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot record revocation: {exc.__class__.__name__}") from exc
        return now

    def revoke_token(self, jti: str, expires: float, reason: str = "") -> float:
        """Refuse one token from now on; the row lives until the token would expire anyway."""
        return self._put(f"jti:{jti}", expires + 60, reason)

    def revoke_principal(self, name: str, max_ttl_s: float, reason: str = "") -> float:
        """Refuse every token issued to or for `name` until now (later ones are accepted)."""
        return self._put(f"sub:{name}", time.time() + max_ttl_s + 60, reason)

    def list(self) -> list[dict]:
        with self.store.session() as s:
            rows = s.execute(select(TokenRevocationRow).order_by(TokenRevocationRow.revoked_at)).scalars()
            return [{"key": r.key, "revoked_at": r.revoked_at, "expires": r.expires, "reason": r.reason}
                    for r in rows]

    # --- checking --------------------------------------------------------------
    def _sqlite(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self._sqlite_path}?mode=ro", uri=True, check_same_thread=True)
            self._local.conn = conn
        return conn

    def _rows(self, keys: list[str]) -> list[tuple[str, float]]:
        if self._sqlite_path is not None:
            try:
                return self._sqlite().execute(_PROBE.format(",".join("?" * len(keys))), keys).fetchall()
            except sqlite3.Error as exc:
                self._local.conn = None
                raise StoreError(f"revocation lookup failed: {exc.__class__.__name__}") from exc
        try:
            with self.store.engine.connect() as conn:
                query = select(TokenRevocationRow.key, TokenRevocationRow.revoked_at).where(
                    TokenRevocationRow.key.in_(keys)
                )
                return [tuple(r) for r in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise StoreError(f"revocation lookup failed: {exc.__class__.__name__}") from exc

    def revoked(self, jti: str, principals: Iterable[str], iat: int) -> str | None:
        """Why this token is revoked (`jti:…` or `sub:…`), or None. Raises StoreError
        when the lookup fails: the caller must then refuse (fail closed)."""
        keys = [f"jti:{jti}", *{f"sub:{p}" for p in principals if p}]
        for key, revoked_at in self._rows(keys):
            if key.startswith("jti:") or iat <= int(revoked_at):
                return key
        return None
