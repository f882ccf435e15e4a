"""Approvals: request, expiry as deny, race-safe decisions (SQLite and PostgreSQL),
single-use consumption bound to principal + tool + arguments, masked arguments,
webhooks signed with HMAC, and an audit event for every step."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from webhook_receiver import Receiver

from aiposture.audit.trail import AuditTrail
from aiposture.errors import InputError
from aiposture.identity.approvals import Approvals, arguments_hash
from aiposture.identity.approvers import NotAnApprover
from aiposture.identity.notify import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookNotifier, verify_signature
from aiposture.identity.principals import Principals
from aiposture.store.database import Store

ARGS = {"amount": 120, "iban": "DE89370400440532013000", "api_key": "sk-live-abcdefghijklmnop1234"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _register_requester(store: Store) -> None:
    """invoice-agent answers to carol (owner) and dave and the racing approvers (sponsors)."""
    sponsors = ["dave"] + [f"approver-{i}" for i in range(8)]
    Principals(store).add("invoice-agent", "agent", owner="carol", sponsors=sponsors)


@pytest.fixture
def store(tmp_path):
    s = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
    _register_requester(s)
    yield s
    s.close()


def _request(approvals, **kw):
    params = {"reason": "payments/refund spends money", "risk": "spends money", "timeout_s": 300}
    params.update(kw)
    return approvals.request("invoice-agent", "payments/refund", dict(ARGS), **params)


def test_request_masks_secrets_and_binds_the_hash(store):
    approvals = Approvals(store)
    a = _request(approvals, end_user="bob", request_id="req-1")
    assert a.status == "pending" and a.end_user == "bob"
    assert a.arguments["amount"] == 120
    assert "abcdefghijklmnop" not in json.dumps(a.arguments)
    assert a.arguments_hash == arguments_hash(ARGS)
    assert approvals.get(a.id).arguments == a.arguments
    assert [x.id for x in approvals.list("pending")] == [a.id]


def test_secrets_inside_free_text_are_masked(store):
    body = "token ghp_R8d2kP0qLm3Nx7Vb1Zc9Yt4Ws6Qa5Ej8Hu2F now"
    a = Approvals(store).request("bot", "send_email", {"body": body, "to": "x@y.z"},
                                 reason="r", risk="sends data outside", timeout_s=60)
    assert "R8d2kP0qLm3Nx7Vb1Zc9Yt4Ws6Qa5Ej8Hu2F" not in a.arguments["body"] and a.arguments["to"] == "x@y.z"


def test_no_answer_within_the_timeout_is_a_deny(store):
    clock = Clock()
    approvals = Approvals(store, clock=clock)
    a = _request(approvals, timeout_s=60)
    clock.now += timedelta(seconds=61)
    assert approvals.get(a.id).status == "expired"
    with pytest.raises(InputError, match="expired .* without an answer"):
        approvals.decide(a.id, "carol", True)
    with pytest.raises(InputError, match="expired"):
        approvals.consume(a.id, "invoice-agent", "payments/refund", ARGS)


def test_decided_requests_refuse_a_second_decision(store):
    approvals = Approvals(store)
    a = _request(approvals)
    decided = approvals.decide(a.id, "carol", False, note="not today")
    assert (decided.status, decided.decided_by, decided.note) == ("denied", "carol", "not today")
    with pytest.raises(InputError, match="already denied by carol"):
        approvals.decide(a.id, "dave", True)
    with pytest.raises(InputError, match="was denied by carol"):
        approvals.consume(a.id, "invoice-agent", "payments/refund", ARGS)
    with pytest.raises(InputError, match="no approval"):
        approvals.decide("apr_nope", "dave", True)


@pytest.mark.parametrize("principal,tool,args,message", [
    ("other-agent", "payments/refund", ARGS, "granted to 'invoice-agent'"),
    ("invoice-agent", "payments/charge", ARGS, "for tool 'payments/refund'"),
    ("invoice-agent", "payments/refund", {**ARGS, "amount": 9999}, "other arguments"),
    ("invoice-agent", "payments/refund", "not a dict", "other arguments"),
])
def test_consume_is_bound_to_principal_tool_and_arguments(store, principal, tool, args, message):
    approvals = Approvals(store)
    a = _request(approvals)
    approvals.decide(a.id, "carol", True)
    with pytest.raises(InputError, match=message):
        approvals.consume(a.id, principal, tool, args)
    assert approvals.get(a.id).status == "approved"  # a refused use does not spend it


def test_consume_is_single_use_and_within_the_window(store):
    clock = Clock()
    approvals = Approvals(store, clock=clock)
    a = _request(approvals, timeout_s=120)
    with pytest.raises(InputError, match="still pending"):
        approvals.consume(a.id, "invoice-agent", "payments/refund", ARGS)
    approvals.decide(a.id, "carol", True)
    used = approvals.consume(a.id, "invoice-agent", "payments/refund", dict(reversed(list(ARGS.items()))))
    assert used.status == "used"
    with pytest.raises(InputError, match="already used"):
        approvals.consume(a.id, "invoice-agent", "payments/refund", ARGS)
    late = _request(approvals, timeout_s=120)
    approvals.decide(late.id, "carol", True)
    clock.now += timedelta(seconds=121)
    with pytest.raises(InputError, match="had to be used by"):
        approvals.consume(late.id, "invoice-agent", "payments/refund", ARGS)


@pytest.mark.parametrize("kw,message", [
    ({"timeout_s": 0}, "timeout_s"),
    ({"timeout_s": 10**9}, "timeout_s"),
    ({"callback_url": "file:///etc/passwd"}, "http\\(s\\) URL"),
    ({"callback_url": "http://x/" + "a" * 3000}, "http\\(s\\) URL"),
])
def test_bad_requests_are_refused(store, kw, message):
    with pytest.raises(InputError, match=message):
        _request(Approvals(store), **kw)
    with pytest.raises(InputError, match="larger than"):
        Approvals(store).request("a", "t", {"x": "y" * 70_000}, reason="", risk=None, timeout_s=5)
    with pytest.raises(InputError, match="JSON object"):
        Approvals(store).request("a", "t", ["x"], reason="", risk=None, timeout_s=5)


def _race(approvals: Approvals, approval_id: str, n: int = 8) -> list:
    barrier = threading.Barrier(n)
    results: list = []

    def approver(i: int) -> None:
        barrier.wait()
        try:
            results.append(approvals.decide(approval_id, f"approver-{i}", i % 2 == 0))
        except InputError as exc:
            results.append(exc)

    threads = [threading.Thread(target=approver, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _assert_one_winner(approvals, approval_id, results):
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    final = approvals.get(approval_id)
    assert final.decided_by == winners[0].decided_by and final.status == winners[0].status
    assert all(f"by {final.decided_by}" in str(e) for e in losers)


def test_two_approvers_racing_on_sqlite_exactly_one_wins(store):
    approvals = Approvals(store)
    for _ in range(3):
        a = _request(approvals)
        _assert_one_winner(approvals, a.id, _race(approvals, a.id))


def test_two_approvers_racing_on_postgresql_exactly_one_wins(pg_schema_url):
    store = Store.open(pg_schema_url)
    _register_requester(store)
    try:
        approvals = Approvals(store)
        for _ in range(3):
            a = _request(approvals)
            _assert_one_winner(approvals, a.id, _race(approvals, a.id))
    finally:
        store.close()


def test_every_step_is_an_audit_event(store, tmp_path):
    trail = AuditTrail(store, tmp_path / "k.key")
    approvals = Approvals(store, audit=lambda record: trail.append([record]))
    a = _request(approvals, end_user="bob")
    approvals.decide(a.id, "carol", True)
    with pytest.raises(InputError):
        approvals.decide(a.id, "dave", False)
    approvals.consume(a.id, "invoice-agent", "payments/refund", ARGS)
    events = list(trail.events())
    assert [e["data"]["event"] for e in events] == ["requested", "approved", "decision refused", "used"]
    assert {e["direction"] for e in events} == {"approval"}
    assert events[2]["data"]["approver"] == "dave" and "already approved by carol" in events[2]["data"]["refused"]
    assert "abcdefghijklmnop" not in json.dumps(events)
    assert trail.verify().ok


def test_webhooks_are_signed_and_sent_on_request_and_decision(store):
    hub, agent = Receiver(), Receiver()
    try:
        notifier = WebhookNotifier(hub.url + "/hook", "s3cret", timeout_s=2)
        approvals = Approvals(store, notifier)
        a = _request(approvals, callback_url=agent.url + "/cb")
        approvals.decide(a.id, "carol", True)
        assert [p for p, _, _ in hub.received] == ["/hook", "/hook"]
        assert [p for p, _, _ in agent.received] == ["/cb"]
        path, headers, body = agent.received[0]
        assert verify_signature("s3cret", body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER])
        assert not verify_signature("wrong", body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER])
        assert not verify_signature("s3cret", body + b" ", headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER])
        assert not verify_signature("s3cret", body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER],
                                    now=int(headers[TIMESTAMP_HEADER]) + 3600)
        payload = json.loads(body)
        assert payload["event"] == "approval.approved" and payload["approval"]["id"] == a.id
        assert "abcdefghijklmnop" not in body.decode()
    finally:
        hub.close()
        agent.close()


def test_webhook_failures_are_logged_not_raised(store, caplog):
    down = Receiver(status=500)
    try:
        notifier = WebhookNotifier(down.url, "s", timeout_s=1)
        a = _request(Approvals(store, notifier))
        assert notifier.requested(a) == [False]
    finally:
        down.close()
    dead = WebhookNotifier("http://127.0.0.1:9", None, timeout_s=0.5)
    assert dead.requested(a) == [False]
    assert "webhook approval.requested" in caplog.text


def test_callback_hosts_restrict_where_decisions_are_posted(store):
    notifier = WebhookNotifier(None, "s", callback_hosts=["hooks.contoso.com"])
    with pytest.raises(InputError, match="not an allowed callback host"):
        _request(Approvals(store, notifier), callback_url="http://169.254.169.254/latest")


def test_list_filters_by_status_in_time_and_is_bounded(store):
    clock = Clock()
    approvals = Approvals(store, clock=clock)
    old = _request(approvals, timeout_s=60)
    clock.now += timedelta(seconds=120)
    fresh = _request(approvals, timeout_s=60)
    decided = _request(approvals, timeout_s=60)
    approvals.decide(decided.id, "carol", False)
    assert [a.id for a in approvals.list("pending")] == [fresh.id]
    assert [a.id for a in approvals.list("expired")] == [old.id]
    assert [a.id for a in approvals.list("denied")] == [decided.id]
    assert len(approvals.list()) == 3 and len(approvals.list(limit=1)) == 1
    with pytest.raises(InputError, match="unknown approval status"):
        approvals.list("maybe")


@pytest.mark.parametrize("who,why", [
    ("invoice-agent", "cannot approve its own request"),
    ("bob", "cannot approve its own request"),
    ("mallory", "neither an owner or sponsor of 'invoice-agent' nor a registered approver"),
    ("ops-bot", "only people decide approvals"),
    ("frozen", "is disabled"),
])
def test_only_accountable_people_and_approvers_decide(store, tmp_path, who, why):
    registry = Principals(store)
    registry.add("ops-bot", "agent", attributes={"approver": True})
    registry.add("frozen", "user", attributes={"approver": True})
    registry.set_enabled("frozen", False)
    trail = AuditTrail(store, tmp_path / "k.key")
    approvals = Approvals(store, audit=lambda record: trail.append([record]))
    a = _request(approvals, end_user="bob")
    with pytest.raises(NotAnApprover, match=why):
        approvals.decide(a.id, who, True)
    assert approvals.get(a.id).status == "pending"
    refused = [e for e in trail.events() if e["data"].get("event") == "decision refused"]
    assert len(refused) == 1 and why in refused[0]["verdict"]["reason"]


def test_a_registered_approver_outside_the_sponsors_may_decide(store):
    Principals(store).add("secops", "user", attributes={"approver": True})
    approvals = Approvals(store)
    a = _request(approvals)
    assert approvals.decide(a.id, "secops", True).decided_by == "secops"
