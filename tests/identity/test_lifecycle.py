"""Principals as governed identities: owner, sponsors, blueprints, lifecycle, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from aiposture.errors import InputError
from aiposture.identity.blueprints import load_blueprint, shipped_blueprints
from aiposture.identity.principals import Principals
from aiposture.store.database import Store
from aiposture.store.tables_identity import PrincipalRow


@pytest.fixture
def principals(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'p.db'}")
    yield Principals(store)
    store.close()


def _set(principals, name, **values):
    with principals.store.session() as s:
        s.execute(update(PrincipalRow).where(PrincipalRow.name == name).values(**values))


def test_agent_with_owner_sponsors_tools_models(principals):
    p, key = principals.add(
        "invoice-agent", "agent", owner="alice@contoso.com", sponsors=["bob@contoso.com", "carol"],
        tools=["search_kb", "crm/*"], models=["gpt-4o*"], attributes={"department": "finance", "tier": 2},
    )
    again = principals.authenticate(key)
    assert again.owner == "alice@contoso.com" and again.sponsors == ["bob@contoso.com", "carol"]
    assert again.tools == ["search_kb", "crm/*"] and again.models == ["gpt-4o*"]
    assert again.attributes == {"department": "finance", "tier": 2}
    assert again.status == "active" and again.accountable() == ["alice@contoso.com", "bob@contoso.com", "carol"]
    assert [e.event for e in principals.history("invoice-agent")] == ["created"]


def test_default_models_any_and_no_tools(principals):
    p, _ = principals.add("plain-app")
    assert p.models == ["*"] and p.tools == [] and p.kind == "app"


@pytest.mark.parametrize("name", ["support-agent", "ops-automation"])
def test_shipped_blueprints_apply(principals, name):
    bp = load_blueprint(name)
    p, _ = principals.add(f"{name}-1", blueprint=bp, owner="alice", tools=None)
    assert p.blueprint == name and p.kind == bp.kind == "agent"
    assert p.tools == bp.tools and p.models == bp.models and p.attest_every_days == bp.attest_every_days
    assert p.attributes == bp.attributes
    if bp.expires_days:
        assert p.expires is not None and p.expires > datetime.now(UTC) + timedelta(days=bp.expires_days - 1)


def test_blueprint_explicit_values_win(principals, tmp_path):
    f = tmp_path / "bp.yaml"
    f.write_text("name: tiny\ntools: [a]\nmodels: [m1]\nattributes: {team: x}\nattest_every_days: 7\n")
    p, _ = principals.add("t1", blueprint=load_blueprint(str(f)), tools=["b"], attributes={"extra": True},
                          attest_every_days=14)
    assert p.tools == ["b"] and p.models == ["m1"] and p.attributes == {"team": "x", "extra": True}
    assert p.attest_every_days == 14


@pytest.mark.parametrize(
    "text, message",
    [
        ("- a list", "mapping"),
        ("name: [unclosed", "not valid YAML"),
        ("name: ok\nunknown_field: 1\n", "unknown_field"),
        ("name: ok\nattest_every_days: 0\n", "attest_every_days"),
        ("name: 'bad name'\n", "name"),
        ("name: ok\nkind: robot\n", "kind"),
    ],
)
def test_bad_blueprints(tmp_path, text, message):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(InputError, match=message):
        load_blueprint(str(f))


def test_unknown_blueprint_name_lists_shipped():
    with pytest.raises(InputError, match="support-agent"):
        load_blueprint("no-such-blueprint")
    assert {b.name for b in shipped_blueprints()} >= {"support-agent", "ops-automation"}


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"owner": "bad owner"}, "owner/sponsor"),
        ({"sponsors": ["ok", "x y"]}, "owner/sponsor"),
        ({"tools": ["rm -rf"]}, "tool pattern"),
        ({"models": [""]}, "model pattern"),
        ({"attributes": {"bad key": 1}}, "attribute name"),
        ({"attributes": {"k": [1]}}, "attribute 'k'"),
        ({"attributes": {"k": "x" * 300}}, "attribute 'k'"),
        ({"attest_every_days": 0}, "attest-every"),
        ({"attest_every_days": 99999}, "attest-every"),
        ({"expires": datetime(2020, 1, 1, tzinfo=UTC)}, "in the past"),
    ],
)
def test_bad_governance_fields(principals, kw, message):
    with pytest.raises(InputError, match=message):
        principals.add("x1", "agent", **kw)
    assert principals.get("x1") is None


def test_lifecycle_disabled_expired_overdue(principals):
    principals.add("a1", "agent", owner="alice", attest_every_days=30)
    assert principals.get("a1").status == "active"
    _set(principals, "a1", created=datetime.now(UTC) - timedelta(days=31))
    overdue = principals.get("a1")
    assert overdue.status == "attestation-overdue" and "principals attest a1" in overdue.status_reason()
    principals.attest("a1", by="alice", note="still needed")
    assert principals.get("a1").status == "active"
    _set(principals, "a1", expires=datetime.now(UTC) - timedelta(minutes=1))
    assert principals.get("a1").status == "expired" and "expired on" in principals.get("a1").status_reason()
    principals.set_enabled("a1", False, actor="secops", reason="incident 42")
    assert principals.get("a1").status == "disabled"
    events = principals.history("a1")
    assert [e.event for e in events] == ["disabled", "attested", "created"]
    assert events[0].actor == "secops" and events[0].detail == {"reason": "incident 42"}
    assert events[1].actor == "alice" and events[1].detail == {"note": "still needed"}


def test_only_owner_or_sponsor_may_attest(principals):
    principals.add("a2", "agent", owner="alice", sponsors=["bob"])
    assert principals.attest("a2", by="bob").last_attested is not None
    with pytest.raises(InputError, match="only its owner or a sponsor"):
        principals.attest("a2", by="mallory")
    principals.add("a3", "agent")
    with pytest.raises(InputError, match="nobody"):
        principals.attest("a3", by="alice")
    with pytest.raises(InputError, match="no principal"):
        principals.attest("ghost", by="alice")


def test_an_attester_may_not_be_itself_nor_a_disabled_or_non_person_principal(principals):
    principals.add("a5", "agent", owner="alice", sponsors=["a5", "bob", "helper"])
    principals.add("bob", "user")
    principals.add("helper", "agent")
    with pytest.raises(InputError, match="'a5' may not attest itself"):
        principals.attest("a5", by="a5")
    with pytest.raises(InputError, match="of kind 'agent', not a person"):
        principals.attest("a5", by="helper")
    principals.set_enabled("bob", False, actor="secops", reason="left the company")
    with pytest.raises(InputError, match="principal 'bob' is disabled"):
        principals.attest("a5", by="bob")
    assert principals.get("a5").last_attested is None
    assert principals.attest("a5", by="alice").last_attested is not None  # not registered: a person's name


def test_rotate_is_a_lifecycle_event(principals):
    principals.add("a4", "agent")
    principals.rotate("a4", actor="alice")
    principals.set_enabled("a4", True)
    assert [e.event for e in principals.history("a4")] == ["enabled", "rotated", "created"]
