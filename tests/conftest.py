"""Fixtures shared by the whole suite: real PostgreSQL and Redis when reachable
(127.0.0.1 or the URLs in AIPOSTURE_TEST_PG_URL / AIPOSTURE_TEST_REDIS_URL), skipped
with a reason otherwise, so a fresh machine still passes `make test`."""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlparse

import pytest

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("AIPOSTURE_TEST_PG_URL", DEFAULT_PG_URL)
    if not _reachable(url, 5432):
        pytest.skip(f"PostgreSQL not reachable at {urlparse(url).hostname}:{urlparse(url).port or 5432}")
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed (install the 'postgres' extra)")
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL refused the connection: {exc}")
    return url


@pytest.fixture
def pg_schema_url(pg_url: str):
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards, so
    parallel tests never see each other's tables."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in pg_url else "?"
    yield f"{pg_url}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("AIPOSTURE_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    if not _reachable(url, 6379):
        pytest.skip(f"Redis not reachable at {urlparse(url).hostname}:{urlparse(url).port or 6379}")
    return url
