"""The Store: opens a database by URL, brings its schema to the latest Alembic
revision, and keeps scan runs so that each run can be compared with the last one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from aiposture.errors import StoreError
from aiposture.model import Asset, Finding, RunInfo, ScanResult
from aiposture.store.tables import AssetRow, FindingRow, RunAssetRow, RunRow


def _normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` form users type and use psycopg 3 for it."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store:
    """One database. Construct with `Store.open(url)`; all methods are transactional."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        url = _normalise_url(url)
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(f"cannot open database {url.split('@')[-1]}: {' '.join(str(exc).split())}") from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (idempotent). Alembic is imported
        here, not at module load, so commands that never open a store start faster."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(resources.files("aiposture.store") / "migrations"))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "heads")
        except SQLAlchemyError as exc:
            # drivers' messages span lines (libpq adds "Is the server running…"): errors are one line
            detail = " ".join(str(exc.orig or exc).split())
            raise StoreError(f"cannot migrate database: {exc.__class__.__name__}: {detail}") from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    # --- scan runs -------------------------------------------------------------
    def save_scan(self, result: ScanResult) -> dict[str, list[str]]:
        """Store a run, upsert its assets, and return the diff against the previous
        run of the same command on the same target: new, changed and gone asset ids."""
        try:
            with self.session() as s:
                previous = self._previous_run(s, result.run)
                before = {}
                if previous is not None:
                    rows = s.execute(select(RunAssetRow).where(RunAssetRow.run_id == previous.id))
                    before = {r.asset_id: r.fingerprint for r in rows.scalars()}
                s.add(self._run_row(result))
                s.flush()
                now = {a.id: a.fingerprint() for a in result.assets}
                self._upsert_assets(s, result)
                s.add_all(RunAssetRow(run_id=result.run.id, asset_id=i, fingerprint=f) for i, f in now.items())
                s.add_all(self._finding_row(result.run.id, f) for f in result.findings)
                diff = {
                    "new": sorted(set(now) - set(before)) if previous else sorted(now),
                    "changed": sorted(i for i in now if i in before and before[i] != now[i]),
                    "gone": sorted(set(before) - set(now)),
                    "previous_run": [previous.id] if previous else [],
                }
                s.get(RunRow, result.run.id).summary = {**self._summary(result), "diff": diff}
                return diff
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot save run: {exc.__class__.__name__}") from exc

    @staticmethod
    def _previous_run(s: Session, run: RunInfo) -> RunRow | None:
        query = (
            select(RunRow)
            .where(RunRow.target == run.target, RunRow.command == run.command, RunRow.id != run.id)
            .order_by(RunRow.started.desc())
            .limit(1)
        )
        return s.execute(query).scalars().first()

    @staticmethod
    def _run_row(result: ScanResult) -> RunRow:
        run = result.run
        return RunRow(id=run.id, command=run.command, target=run.target, started=run.started,
                      finished=run.finished or datetime.now(UTC), files_scanned=run.files_scanned,
                      summary={})

    @staticmethod
    def _summary(result: ScanResult) -> dict:
        by_severity: dict[str, int] = {}
        for f in result.findings:
            by_severity[f.severity.value] = by_severity.get(f.severity.value, 0) + 1
        return {"assets": len(result.assets), "findings": by_severity, "skipped": len(result.skipped)}

    @staticmethod
    def _upsert_assets(s: Session, result: ScanResult) -> None:
        ids = [a.id for a in result.assets]
        existing: dict[str, AssetRow] = {}
        for chunk in range(0, len(ids), 500):
            rows = s.execute(select(AssetRow).where(AssetRow.id.in_(ids[chunk:chunk + 500])))
            existing.update((r.id, r) for r in rows.scalars())
        run_id = result.run.id
        for asset in result.assets:
            data = asset.model_dump(mode="json")
            row = existing.get(asset.id)
            if row is None:
                s.add(AssetRow(id=asset.id, kind=asset.kind, name=asset.name, version=asset.version,
                               provider=asset.provider, fingerprint=asset.fingerprint(), data=data,
                               first_seen=run_id, last_seen=run_id))
            else:
                row.version, row.provider, row.data = asset.version, asset.provider, data
                row.fingerprint, row.last_seen = asset.fingerprint(), run_id

    @staticmethod
    def _finding_row(run_id: str, finding: Finding) -> FindingRow:
        return FindingRow(run_id=run_id, id=finding.id, rule=finding.rule, severity=finding.severity.value,
                          asset_id=finding.asset, data=finding.model_dump(mode="json"))

    # --- queries ---------------------------------------------------------------
    def runs(self, command: str | None = None, limit: int = 50) -> list[RunRow]:
        with self.session() as s:
            query = select(RunRow).order_by(RunRow.started.desc()).limit(limit)
            if command:
                query = query.where(RunRow.command == command)
            return list(s.execute(query).scalars())

    def load_run(self, run_id: str) -> ScanResult:
        """Rebuild a stored run's result (assets as they were last seen)."""
        with self.session() as s:
            run = s.get(RunRow, run_id)
            if run is None:
                raise StoreError(f"no run {run_id}")
            asset_ids = s.execute(select(RunAssetRow.asset_id).where(RunAssetRow.run_id == run_id)).scalars()
            ids = list(asset_ids)
            assets = [Asset.model_validate(r.data) for r in
                      s.execute(select(AssetRow).where(AssetRow.id.in_(ids))).scalars()] if ids else []
            findings = [Finding.model_validate(r.data) for r in
                        s.execute(select(FindingRow).where(FindingRow.run_id == run_id)).scalars()]
            info = RunInfo(id=run.id, command=run.command, target=run.target, started=run.started,
                           finished=run.finished, files_scanned=run.files_scanned,
                           diff=run.summary.get("diff", {}))
            return ScanResult(run=info, assets=assets, findings=findings)
