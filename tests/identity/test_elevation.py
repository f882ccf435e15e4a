"""Just-in-time elevation: sponsors approve, never the requester; grants end by
themselves; pending requests lapse; every step is audited; active scopes feed the
access policy and waive the approval only for pre-approved tools."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from access_fixtures import SHIPPED, Who

from aiposture.audit.trail import AuditTrail
from aiposture.errors import InputError
from aiposture.identity.access import AccessPolicy, AccessRequest
from aiposture.identity.elevation import Elevations
from aiposture.store.database import Store


class Registry:
    def __init__(self, *principals: Who) -> None:
        self.by_name = {p.name: p for p in principals}

    def get(self, name: str) -> Who | None:
        return self.by_name.get(name)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


OPS = Who("ops-bot", owner="alice", sponsors=["alice", "sam", "ops-bot"], tools=[])


@pytest.fixture
def store(tmp_path):
    s = Store.open(f"sqlite:///{tmp_path / 'e.db'}")
    yield s
    s.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def elevations(store, clock):
    return Elevations(store, Registry(OPS), clock=clock, request_ttl_s=600)


def test_a_sponsor_approves_and_the_grant_ends_by_itself(elevations, clock):
    e = elevations.request("ops-bot", ["tool:deploy_*", "preapproved:deploy_service"], 30, "hotfix INC-42")
    assert e.status == "pending" and elevations.active_scopes("ops-bot") == []
    approved = elevations.approve(e.id, "sam")
    assert approved.status == "approved" and approved.ends - approved.starts == timedelta(minutes=30)
    assert elevations.active_scopes("ops-bot") == ["tool:deploy_*", "preapproved:deploy_service"]
    clock.now += timedelta(minutes=29, seconds=59)
    assert elevations.active_scopes("ops-bot") != []
    clock.now += timedelta(seconds=1)
    assert elevations.active_scopes("ops-bot") == []
    assert elevations.get(e.id).status == "ended"
    assert [x.id for x in elevations.list(status="ended")] == [e.id]
    assert elevations.list(status="approved") == [] and elevations.list(status="pending") == []
    assert elevations.active_scopes("someone-else") == []


@pytest.mark.parametrize("sponsor,requested_by,message", [
    ("ops-bot", None, "requested elevation .* and cannot decide it"),
    ("alice", "alice", "'alice' requested elevation"),
    ("mallory", None, "'mallory' is not a sponsor of 'ops-bot' \\(sponsors: alice, sam, ops-bot\\)"),
])
def test_only_a_sponsor_other_than_the_requester_decides(elevations, sponsor, requested_by, message):
    e = elevations.request("ops-bot", ["tool:x"], 5, "why", requested_by=requested_by)
    with pytest.raises(InputError, match=message):
        elevations.approve(e.id, sponsor)
    assert elevations.get(e.id).status == "pending"


def test_a_registered_sponsor_must_be_an_active_person(store):
    from aiposture.identity.principals import Principals

    registry = Principals(store)
    registry.add("ops-bot", "agent", sponsors=["sam", "helper-bot"])
    registry.add("sam", "user")
    registry.add("helper-bot", "agent")
    elevations = Elevations(store, registry)
    e = elevations.request("ops-bot", ["tool:x"], 5, "why")
    registry.set_enabled("sam", False, actor="secops", reason="incident")
    with pytest.raises(InputError, match="principal 'sam' is disabled"):
        elevations.approve(e.id, "sam")
    with pytest.raises(InputError, match="only people decide elevations"):
        elevations.approve(e.id, "helper-bot")
    assert elevations.get(e.id).status == "pending"
    registry.set_enabled("sam", True, actor="secops")
    assert elevations.approve(e.id, "sam").status == "approved"


def test_denied_and_expired_requests_grant_nothing(elevations, clock):
    e = elevations.request("ops-bot", ["tool:x"], 5, "why")
    denied = elevations.deny(e.id, "alice", note="use the runbook")
    assert (denied.status, denied.note) == ("denied", "use the runbook")
    with pytest.raises(InputError, match="already denied by alice"):
        elevations.approve(e.id, "sam")
    late = elevations.request("ops-bot", ["tool:x"], 5, "why")
    clock.now += timedelta(seconds=601)
    with pytest.raises(InputError, match="expired .* without an answer"):
        elevations.approve(late.id, "sam")
    assert elevations.active_scopes("ops-bot") == []
    assert sorted(x.status for x in elevations.list("ops-bot")) == ["denied", "expired"]
    assert elevations.list(status="denied")[0].id == e.id


@pytest.mark.parametrize("principal,scopes,minutes,why,message", [
    ("nobody", ["tool:x"], 5, "j", "no principal 'nobody'"),
    ("ops-bot", [], 5, "j", "at least one scope"),
    ("ops-bot", ["admin"], 5, "j", "use tool:<glob>"),
    ("ops-bot", ["tool:x y"], 5, "j", "use tool:<glob>"),
    ("ops-bot", [f"tool:t{i}" for i in range(40)], 5, "j", "more than 32"),
    ("ops-bot", ["tool:x"], 0, "j", "minutes"),
    ("ops-bot", ["tool:x"], 10_000, "j", "minutes"),
    ("ops-bot", ["tool:x"], True, "j", "minutes"),
    ("ops-bot", ["tool:x"], 5, "  ", "justification"),
])
def test_bad_requests_are_refused(elevations, principal, scopes, minutes, why, message):
    with pytest.raises(InputError, match=message):
        elevations.request(principal, scopes, minutes, why)
    with pytest.raises(InputError, match="no elevation"):
        elevations.approve("elv_missing", "sam")
    with pytest.raises(InputError, match="unknown elevation status"):
        elevations.list(status="maybe")


def _race_sponsors(elevations: Elevations) -> list:
    e = elevations.request("ops-bot", ["tool:x"], 5, "why")
    results, barrier = [], threading.Barrier(2)

    def decide(who: str, approve: bool) -> None:
        barrier.wait()
        try:
            results.append(elevations.approve(e.id, who) if approve else elevations.deny(e.id, who))
        except InputError as exc:
            results.append(exc)

    threads = [threading.Thread(target=decide, args=a) for a in (("alice", True), ("sam", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_racing_sponsors_one_wins(elevations):
    for _ in range(3):
        assert sum(not isinstance(r, Exception) for r in _race_sponsors(elevations)) == 1


def test_racing_sponsors_one_wins_on_postgresql(pg_schema_url):
    store = Store.open(pg_schema_url)
    try:
        elevations = Elevations(store, Registry(OPS))
        for _ in range(3):
            results = _race_sponsors(elevations)
            assert sum(not isinstance(r, Exception) for r in results) == 1
            loser = next(r for r in results if isinstance(r, Exception))
            assert "already" in str(loser)
    finally:
        store.close()


def test_every_step_is_audited(store, clock, tmp_path):
    trail = AuditTrail(store, tmp_path / "k.key")
    elevations = Elevations(store, Registry(OPS), clock=clock, audit=lambda r: trail.append([r]))
    e = elevations.request("ops-bot", ["tool:x"], 5, "why")
    with pytest.raises(InputError):
        elevations.approve(e.id, "ops-bot")
    elevations.approve(e.id, "alice")
    events = list(trail.events())
    assert [(x["direction"], x["data"]["event"]) for x in events] == [
        ("elevation", "requested"), ("elevation", "decision refused"), ("elevation", "approved")]
    assert events[1]["data"]["sponsor"] == "ops-bot"


def test_active_scopes_widen_access_and_preapprove(elevations):
    policy = AccessPolicy.load(SHIPPED)
    ctx = {"time": "2026-12-02T10:00:00Z", "source_ip": "10.0.0.5"}
    agent = Who("mailer", tools=[])
    assert not policy.authorize(AccessRequest(agent, "call_tool", "send_email", {"to": "a@b.c"}, ctx)).allowed
    registry = Registry(agent)
    jit = Elevations(elevations.store, registry, clock=elevations.clock)
    e = jit.request("mailer", ["tool:send_email", "preapproved:send_email"], 15, "quarterly mailing")
    jit.approve(e.id, "alice")
    ctx["scopes"] = jit.active_scopes("mailer")
    decision = policy.authorize(AccessRequest(agent, "call_tool", "send_email", {"to": "a@b.c"}, ctx))
    assert decision.allowed and not decision.needs_approval and "tools-scope" in decision.policies
