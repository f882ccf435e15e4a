"""0008_identity upgrades a database whose principals table came from 0002_audit."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from aiposture.identity.principals import Principals, hash_key, new_key
from aiposture.store.database import Store


def _upgrade_to(url: str, revision: str) -> None:
    engine = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("aiposture.store") / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()


def test_upgrade_keeps_existing_principals(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _upgrade_to(url, "audit_0001")
    key_id, key = new_key()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO principals (name, kind, app, key_id, key_hash, enabled, created, description, version)"
                 " VALUES ('legacy-bot', 'agent', 'support', :kid, :hash, 1, :created, 'old row', 3)"),
            {"kid": key_id, "hash": hash_key(key), "created": datetime(2026, 1, 2, tzinfo=UTC)},
        )
        cols = {r[1] for r in conn.execute(text("PRAGMA table_info(principals)"))}
    engine.dispose()
    assert "owner" not in cols
    store = Store.open(url)  # upgrades to every head, 0008 included
    try:
        with store.engine.connect() as conn:
            cols = {r[1] for r in conn.execute(text("PRAGMA table_info(principals)"))}
            tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
            heads = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
        assert {"owner", "sponsors", "tools", "models", "attributes", "expires", "attest_every_days"} <= cols
        assert {"principal_events", "token_revocations"} <= tables and "identity_0002" in heads
        principals = Principals(store)
        p = principals.authenticate(key)
        assert p.name == "legacy-bot" and p.app == "support" and p.description == "old row"
        assert p.models == ["*"] and p.tools == [] and p.sponsors == [] and p.status == "active"
        principals.rotate("legacy-bot")
        assert [e.event for e in principals.history("legacy-bot")] == ["rotated"]
    finally:
        store.close()


def test_downgrade_back_to_audit_keeps_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'down.db'}"
    store = Store.open(url)
    _, key = Principals(store).add("bot", "agent", owner="alice", tools=["x"])
    store.close()
    engine = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("aiposture.store") / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "identity_0002@audit_0001")
    with engine.connect() as conn:
        cols = {r[1] for r in conn.execute(text("PRAGMA table_info(principals)"))}
        rows = conn.execute(text("SELECT name, key_hash FROM principals")).all()
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
    engine.dispose()
    assert "owner" not in cols and rows == [("bot", hash_key(key))]
    assert "token_revocations" not in tables and "principal_events" not in tables
    again = Store.open(url)  # and up again
    assert Principals(again).authenticate(key).name == "bot"
    again.close()
