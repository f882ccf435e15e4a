"""The same chain on PostgreSQL (skipped when no server listens on 127.0.0.1:5432)."""

from __future__ import annotations

import os
import uuid

import pytest

PG_URL = os.environ.get("AIPOSTURE_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")


@pytest.fixture
def pg_trail(tmp_path):
    psycopg = pytest.importorskip("psycopg")
    schema = f"aip_audit_{uuid.uuid4().hex[:8]}"
    try:
        conn = psycopg.connect(PG_URL, connect_timeout=2, autocommit=True)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}")
    conn.execute(f"CREATE SCHEMA {schema}")
    from aiposture.audit.trail import AuditTrail
    from aiposture.store.database import Store

    sep = "&" if "?" in PG_URL else "?"
    store = Store.open(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    trail = AuditTrail(store, tmp_path / "k.key")
    yield trail
    trail.close()
    store.close()
    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    conn.close()


def test_postgres_chain_verify_and_tamper(pg_trail, make_records):
    from sqlalchemy import text

    futures = [pg_trail.writer.submit(r) for r in make_records(200)]
    assert [f.result(10) for f in futures] == list(range(1, 201))
    report = pg_trail.verify(chunk=50)
    assert report.ok and report.events == 200, report.issues
    with pg_trail.db.store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 77"))
    issue = pg_trail.verify().issues[0]
    assert (issue["seq"], issue["kind"]) == (77, "deleted")


def test_postgres_parallel_ranges_match_one_pass(pg_trail, make_records):
    from sqlalchemy import text

    from aiposture.audit.verify import verify_chain

    pg_trail.append(make_records(120))
    assert verify_chain(pg_trail.db, pg_trail.signer, chunk=9, workers=3, parallel_from=0).ok
    with pg_trail.db.store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 41"))
        conn.execute(text("UPDATE audit_events SET body = body || ' ' WHERE seq = 81"))
    single = verify_chain(pg_trail.db, pg_trail.signer, workers=1)
    parallel = verify_chain(pg_trail.db, pg_trail.signer, chunk=9, workers=3, parallel_from=0)
    assert [(i["seq"], i["kind"]) for i in parallel.issues] == [(41, "deleted"), (81, "modified")]
    assert parallel.issues == single.issues and parallel.events == single.events == 119
