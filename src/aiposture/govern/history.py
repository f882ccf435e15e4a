"""Posture per run in the store: the estate's full report and one score row per app,
so `aiposture posture` can show the latest report and `--history` the trend without
re-running anything."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from aiposture.errors import StoreError
from aiposture.govern.posture import HistoryPoint, PostureReport
from aiposture.store.database import Store
from aiposture.store.tables_govern import PostureRow

ESTATE = "estate"


def save_posture(store: Store, report: PostureReport) -> None:
    run = report.run
    rows = [
        PostureRow(
            run_id=run.id,
            scope=ESTATE,
            target=run.target,
            started=run.started,
            score=report.score.score,
            coverage=report.score.coverage,
            data=report.model_dump(mode="json", exclude={"history"}),
        )
    ]
    rows += [
        PostureRow(
            run_id=run.id,
            scope=f"app:{a.name}"[:255],
            target=run.target,
            started=run.started,
            score=a.score,
            coverage=a.coverage,
            data=a.model_dump(mode="json"),
        )
        for a in report.apps
    ]
    try:
        with store.session() as s:
            s.add_all(rows)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot save posture: {exc.__class__.__name__}") from exc


def history(
    store: Store, target: str | None = None, scope: str = ESTATE, limit: int = 30
) -> list[HistoryPoint]:
    """Scores of the latest `limit` runs (of `target`, if given), oldest first."""
    try:
        with store.session() as s:
            query = select(PostureRow).where(PostureRow.scope == scope)
            if target:
                query = query.where(PostureRow.target == target)
            rows = list(s.execute(query.order_by(PostureRow.started.desc()).limit(limit)).scalars())
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read posture history: {exc.__class__.__name__}") from exc
    return [
        HistoryPoint(
            run=r.run_id, started=r.started.isoformat(timespec="seconds"), score=r.score, coverage=r.coverage
        )
        for r in reversed(rows)
    ]


def latest_report(store: Store, target: str | None = None, run_id: str | None = None) -> PostureReport | None:
    try:
        with store.session() as s:
            query = select(PostureRow).where(PostureRow.scope == ESTATE)
            if run_id:
                query = query.where(PostureRow.run_id == run_id)
            elif target:
                query = query.where(PostureRow.target == target)
            row = s.execute(query.order_by(PostureRow.started.desc()).limit(1)).scalars().first()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read posture: {exc.__class__.__name__}") from exc
    return PostureReport.model_validate(row.data) if row is not None else None
