"""The store keeps runs and tells what is new, changed and gone — on SQLite and on a
real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aiposture.errors import StoreError
from aiposture.model import Asset, Finding, Location, RunInfo, ScanResult, Severity
from aiposture.store import Store

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _result(run_id: str, assets: list[Asset], minutes: int, target: str = "/estate") -> ScanResult:
    finding = Finding.make("AIP-SECRET-001", Location(path="app/.env", line=3), title="key", severity=Severity.HIGH,
                           evidence="sk-a…[51 chars]")
    return ScanResult(
        run=RunInfo(id=run_id, command="discover", target=target, started=T0 + timedelta(minutes=minutes)),
        assets=assets, findings=[finding])


def _scenario(store: Store) -> None:
    openai_v1 = Asset.make("sdk", "OpenAI", version="1.0.0", locations=[Location(path="a.py", line=1)])
    anthropic = Asset.make("sdk", "Anthropic")
    first = store.save_scan(_result("run1", [openai_v1, anthropic], 0))
    assert sorted(first["new"]) == sorted([openai_v1.id, anthropic.id])
    assert first["previous_run"] == []

    openai_v2 = Asset.make("sdk", "OpenAI", version="1.51.0")
    model = Asset.make("model", "gpt-4o", provider="openai")
    second = store.save_scan(_result("run2", [openai_v2, model], 5))
    assert second == {"new": [model.id], "changed": [openai_v1.id], "gone": [anthropic.id],
                      "previous_run": ["run1"]}

    # another target does not diff against this one
    other = store.save_scan(_result("run3", [model], 10, target="/elsewhere"))
    assert other["previous_run"] == []

    loaded = store.load_run("run2")
    assert {a.name for a in loaded.assets} == {"OpenAI", "gpt-4o"}
    assert next(a for a in loaded.assets if a.name == "OpenAI").version == "1.51.0"
    assert loaded.findings[0].evidence == "sk-a…[51 chars]"
    assert [r.id for r in store.runs(command="discover")][:2] == ["run3", "run2"]


def test_sqlite_store_diffs_runs(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'state' / 'a.db'}")
    _scenario(store)
    store.close()
    # reopening migrates nothing and keeps the data
    again = Store.open(f"sqlite:///{tmp_path / 'state' / 'a.db'}")
    assert len(again.runs()) == 3
    again.close()


def test_postgresql_store_diffs_runs(pg_schema_url):
    store = Store.open(pg_schema_url)
    _scenario(store)
    store.close()


def test_unknown_run_is_a_clean_error(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
    with pytest.raises(StoreError, match="no run"):
        store.load_run("nope")


@pytest.mark.parametrize("url", ["notadb://x", "postgresql://127.0.0.1:1/none?connect_timeout=1"])
def test_bad_database_url_is_a_store_error(url):
    with pytest.raises(StoreError) as err:
        Store.open(url)
    assert "\n" not in str(err.value)  # the CLI prints it as its one-line error (libpq's message has two)
