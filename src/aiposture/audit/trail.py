"""One object for the audit trail of a Store: its key, writer, verification,
retention, search and export. Commands and the gateway construct it and pass it on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiposture.audit.db import AuditDB
from aiposture.audit.query import EventFilter, count_events, iter_events
from aiposture.audit.retention import purge_older_than
from aiposture.audit.signing import DEFAULT_KEY_NAME, Signer
from aiposture.audit.verify import VerifyReport, verify_chain
from aiposture.audit.writer import AuditWriter, WriterSettings, append_batch
from aiposture.store.database import Store


def default_key_path(state_dir: Path) -> Path:
    return Path(state_dir) / DEFAULT_KEY_NAME


class AuditTrail:
    def __init__(
        self, store: Store, key_path: Path, settings: WriterSettings | None = None, create_key: bool = True
    ) -> None:
        self.db = AuditDB(store)
        self.signer = Signer.load_or_create(key_path, create=create_key)
        self.settings = settings or WriterSettings()
        self._writer: AuditWriter | None = None

    @property
    def writer(self) -> AuditWriter:
        if self._writer is None:
            self._writer = AuditWriter(self.db, self.signer, self.settings)
        return self._writer

    def append(self, records: list[dict[str, Any]]) -> list[int]:
        """Append synchronously in one batch (tools, tests, benchmarks)."""
        return append_batch(self.db, self.signer, records, self.settings)

    def verify(self, chunk: int = 20000, workers: int | None = None) -> VerifyReport:
        """`workers` processes for a long chain (default: one per usable core)."""
        return verify_chain(self.db, self.signer, chunk, workers)

    def purge(self, days: float) -> dict:
        return purge_older_than(self.db, self.signer, days)

    def events(self, flt: EventFilter | None = None) -> Iterator[dict[str, Any]]:
        return iter_events(self.db, flt)

    def count(self) -> int:
        return count_events(self.db)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.db.close()
