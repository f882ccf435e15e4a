"""Persisting red-team runs in the shared Store (tables in store/tables_redteam.py):
the run's config so `--resume RUN_ID` can rebuild the same plan, and every finished
attempt, written in batches as the run goes so an interruption loses little."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from aiposture.errors import InputError, StoreError
from aiposture.redteam.model import AttemptResult
from aiposture.store.database import Store
from aiposture.store.tables_redteam import RedteamAttemptRow, RedteamRunRow


class RedteamStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create_run(self, run_id: str, target: str, config: dict[str, Any]) -> None:
        try:
            with self.store.session() as s:
                s.add(
                    RedteamRunRow(
                        id=run_id,
                        target=target,
                        status="running",
                        started=datetime.now(UTC),
                        config=config,
                        summary={},
                    )
                )
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot record run: {exc.__class__.__name__}") from exc

    def load_config(self, run_id: str) -> dict[str, Any]:
        with self.store.session() as s:
            row = s.get(RedteamRunRow, run_id)
            if row is None:
                raise InputError(f"no red-team run {run_id}")
            row.status = "running"
            return dict(row.config)

    def save_attempts(self, run_id: str, items: list[tuple[int, AttemptResult]]) -> None:
        """Insert a batch; attempts already stored (re-run on resume) are updated."""
        if not items:
            return
        try:
            with self.store.session() as s:
                ids = [a.id for _, a in items]
                existing = {
                    r.id: r
                    for r in s.execute(
                        select(RedteamAttemptRow).where(
                            RedteamAttemptRow.run_id == run_id, RedteamAttemptRow.id.in_(ids)
                        )
                    ).scalars()
                }
                for seq, a in items:
                    data = a.model_dump(mode="json")
                    row = existing.get(a.id)
                    if row is None:
                        s.add(
                            RedteamAttemptRow(
                                run_id=run_id,
                                id=a.id,
                                seq=seq,
                                probe=a.probe,
                                category=a.category,
                                status=a.status,
                                success=a.success,
                                data=data,
                            )
                        )
                    else:
                        row.status, row.success, row.data = a.status, a.success, data
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot save attempts: {exc.__class__.__name__}") from exc

    def completed(self, run_id: str) -> dict[str, AttemptResult]:
        """Attempts of the run that finished; errored and skipped ones are run again."""
        with self.store.session() as s:
            rows = s.execute(
                select(RedteamAttemptRow).where(
                    RedteamAttemptRow.run_id == run_id, RedteamAttemptRow.status == "done"
                )
            )
            return {r.id: AttemptResult.model_validate(r.data) for r in rows.scalars()}

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        with self.store.session() as s:
            row = s.get(RedteamRunRow, run_id)
            if row is not None:
                row.status, row.summary, row.finished = status, summary, datetime.now(UTC)

    def runs(self, limit: int = 20) -> list[RedteamRunRow]:
        with self.store.session() as s:
            return list(
                s.execute(select(RedteamRunRow).order_by(RedteamRunRow.started.desc()).limit(limit)).scalars()
            )
