from __future__ import annotations

import pytest

from aiposture.errors import InputError
from aiposture.identity.principals import Principals, hash_key
from aiposture.store.database import Store


@pytest.fixture
def principals(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'p.db'}")
    yield Principals(store)
    store.close()


def test_add_authenticate_disable(principals):
    p, key = principals.add("support-bot", "app", description="helpdesk")
    assert key.startswith(f"aip_{p.key_id}_")
    assert principals.authenticate(key).name == "support-bot"
    row_hash = principals.store.engine.connect().exec_driver_sql("SELECT key_hash FROM principals").scalar()
    assert row_hash == hash_key(key) and key not in row_hash
    principals.set_enabled("support-bot", False)
    assert principals.authenticate(key).enabled is False
    assert [x.name for x in principals.list()] == ["support-bot"]


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "sk-1234",
        "aip_0123456789abcdef_short",
        "aip_0123456789abcdef_" + "x" * 43,
        "aip_zz_" + "x" * 43,
    ],
)
def test_bad_keys(principals, token):
    principals.add("a1")
    assert principals.authenticate(token) is None


def test_wrong_secret_same_key_id(principals):
    p, key = principals.add("a1")
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert principals.authenticate(forged) is None


def test_rotate_invalidates_old_key(principals):
    _, old = principals.add("agent-7", "agent", app="support-bot")
    new = principals.rotate("agent-7")
    assert principals.authenticate(old) is None
    p = principals.authenticate(new)
    assert p.kind == "agent" and p.app_name == "support-bot"


@pytest.mark.parametrize(
    "name, kind", [("", "app"), ("bad name", "app"), ("x" * 200, "app"), ("ok", "robot")]
)
def test_invalid_input(principals, name, kind):
    with pytest.raises(InputError):
        principals.add(name, kind)


def test_duplicate(principals):
    principals.add("dup")
    with pytest.raises(InputError, match="already exists"):
        principals.add("dup")


@pytest.mark.parametrize("look_alike", ["old-bot", "OLD_BOT", "old.bot", "Old-Bot", "old_bot"])
def test_a_name_differing_only_in_case_or_separators_is_refused_naming_the_existing(principals, look_alike):
    principals.add("Old_Bot")
    with pytest.raises(InputError) as err:
        principals.add(look_alike)
    assert "'Old_Bot'" in str(err.value) and "\n" not in str(err.value)
    assert [p.name for p in principals.list()] == ["Old_Bot"]


@pytest.mark.parametrize("other", ["old-bot2", "oldbot", "old@bot", "old:bot"])
def test_names_that_differ_otherwise_are_distinct(principals, other):
    principals.add("Old_Bot")
    principals.add(other)
    assert principals.look_alike(other) == other and principals.look_alike("old.bot") == "Old_Bot"
