"""The approvals API over HTTP: an agent's held tool call is polled, decided by a
person allowed to, used once by the retried request, and refused in every other way."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
from toolfakes import AGENT_TOOLS, call, chat_answer, write_policies

MAIL = {"to": "cfo@example.org", "body": "Q3 numbers"}


@pytest.fixture
def held(gateway, tmp_path):
    """A gateway with an agent (owner alice) whose send_email call is pending."""
    gw = gateway(config={"access": str(write_policies(tmp_path / "access")), "approvals": {"timeout_s": 600}})
    gw.keys = {
        "agent": gw.principals.add("helpdesk-agent", "agent", tools=AGENT_TOOLS, owner="alice", sponsors=["sam"])[1],
        "other-agent": gw.principals.add("other-agent", "agent", tools=AGENT_TOOLS, owner="alice")[1],
        "alice": gw.principals.add("alice", "user")[1],
        "sam": gw.principals.add("sam", "user")[1],
        "carol": gw.principals.add("carol", "user", attributes={"approver": True})[1],
        "bob": gw.principals.add("bob", "user")[1],
        "ops-app": gw.principals.add("ops-app", "app", attributes={"approver": True})[1],
    }
    gw.approval_id = _ask(gw, "agent", MAIL)["aiposture"]["tool_calls"][0]["approval"]["id"]
    return gw


def _ask(gw, who, arguments, approval=None):
    gw.upstream.fake.replies.append({"json": chat_answer(call(1, "send_email", arguments))})
    headers = {"authorization": f"Bearer {gw.keys[who]}"}
    if approval:
        headers["x-aiposture-approval"] = approval
    resp = httpx.post(
        f"{gw.server.url}/v1/chat/completions",
        headers=headers,
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "mail the numbers"}]},
    )
    assert resp.status_code == 200
    return resp.json()


def _api(gw, who, method, path, **kw):
    return httpx.request(
        method, f"{gw.server.url}/v1/approvals/{path}", headers={"authorization": f"Bearer {gw.keys[who]}"}, **kw
    )


def test_poll_approve_and_use_exactly_once(held):
    gw, aid = held, held.approval_id
    polled = _api(gw, "agent", "GET", aid).json()
    assert (polled["status"], polled["tool"], polled["principal"]) == ("pending", "send_email", "helpdesk-agent")
    decided = _api(gw, "alice", "POST", f"{aid}/approve", json={"note": "fine for Q3"})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert _api(gw, "agent", "GET", aid).json()["decided_by"] == "alice"
    retried = _ask(gw, "agent", MAIL, approval=aid)
    assert [c["function"]["name"] for c in retried["choices"][0]["message"]["tool_calls"]] == ["send_email"]
    assert "aiposture" not in retried
    assert _api(gw, "agent", "GET", aid).json()["status"] == "used"
    replay = _ask(gw, "agent", MAIL, approval=aid)  # a used approval never lets the call through again
    (entry,) = replay["aiposture"]["tool_calls"]
    assert entry["status"] == "pending" and entry["approval"]["id"] != aid
    assert any("already used" in r for r in entry["reasons"])
    actions = [(e["data"].get("event"), e["verdict"]["action"]) for e in gw.events() if e["direction"] == "approval"]
    assert ("approved", "allow") in actions and ("used", "allow") in actions and ("use refused", "block") in actions


@pytest.mark.parametrize(
    "who, code, message, reason",
    [
        ("agent", 403, "cannot approve its own request", "cannot approve its own request"),
        # to a stranger it does not exist, as for GET: it named the requester in a 403
        ("bob", 404, "no such approval", "neither an owner or sponsor"),
        ("ops-app", 404, "no such approval", "only people decide approvals"),
    ],
)
def test_only_owners_sponsors_and_approvers_decide(held, who, code, message, reason):
    resp = _api(held, who, "POST", f"{held.approval_id}/approve")
    assert resp.status_code == code and message in resp.json()["error"]["message"]
    if code == 404:
        assert resp.json() == _api(held, who, "GET", held.approval_id).json()
        assert resp.json() == _api(held, who, "POST", "apr_doesnotexist/approve").json()
        assert "helpdesk-agent" not in resp.text
    assert _api(held, "agent", "GET", held.approval_id).json()["status"] == "pending"
    refusal = [e for e in held.events() if e["direction"] == "approval" and e["verdict"]["action"] == "block"]
    assert refusal and reason in refusal[-1]["verdict"]["reason"]


def test_sponsor_and_approver_attribute_may_decide(held):
    assert _api(held, "sam", "POST", f"{held.approval_id}/deny", json={"note": "no"}).json()["status"] == "denied"
    other = _ask(held, "agent", {"to": "x@example.org"})["aiposture"]["tool_calls"][0]["approval"]["id"]
    assert _api(held, "carol", "POST", f"{other}/approve").json()["status"] == "approved"


def test_strangers_cannot_see_an_approval(held):
    assert _api(held, "bob", "GET", held.approval_id).status_code == 404
    assert _api(held, "alice", "GET", held.approval_id).status_code == 200
    assert _api(held, "agent", "GET", "apr_doesnotexist").status_code == 404
    no_key = httpx.get(f"{held.server.url}/v1/approvals/{held.approval_id}")
    assert no_key.status_code == 401


def test_two_approvers_racing_exactly_one_wins(held):
    barrier, results = threading.Barrier(2), {}

    def decide(who, verb):
        barrier.wait()
        results[who] = _api(held, who, "POST", f"{held.approval_id}/{verb}")

    threads = [threading.Thread(target=decide, args=a) for a in (("alice", "approve"), ("carol", "deny"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    codes = sorted(r.status_code for r in results.values())
    assert codes == [200, 409]
    loser = next(r for r in results.values() if r.status_code == 409)
    assert "already" in loser.json()["error"]["message"]
    final = _api(held, "agent", "GET", held.approval_id).json()
    winner = next(w for w, r in results.items() if r.status_code == 200)
    assert final["decided_by"] == winner


def test_expired_approval_cannot_be_decided_nor_used(held):
    approvals = held.app.state.gateway.tools.approvals
    created = approvals.get(held.approval_id).created
    approvals.clock = lambda: created + timedelta(seconds=601)  # past the 600 s timeout
    assert _api(held, "agent", "GET", held.approval_id).json()["status"] == "expired"
    resp = _api(held, "alice", "POST", f"{held.approval_id}/approve")
    assert resp.status_code == 409 and "expired" in resp.json()["error"]["message"]
    refused = _approval_events(held, "decision refused")
    assert refused and "expired" in refused[-1]["data"]["refused"] and refused[-1]["data"]["approver"] == "alice"
    retried = _ask(held, "agent", MAIL, approval=held.approval_id)
    assert "tool_calls" not in retried["choices"][0]["message"]
    assert any("expired" in r for r in retried["aiposture"]["tool_calls"][0]["reasons"])


@pytest.mark.parametrize(
    "who, arguments, reason",
    [
        ("other-agent", MAIL, "was granted to 'helpdesk-agent'"),
        ("agent", {"to": "attacker@evil.example", "body": "Q3 numbers"}, "granted for other arguments"),
    ],
)
def test_approval_bound_to_principal_and_arguments(held, who, arguments, reason):
    _api(held, "alice", "POST", f"{held.approval_id}/approve")
    retried = _ask(held, who, arguments, approval=held.approval_id)
    assert "tool_calls" not in retried["choices"][0]["message"]
    assert any(reason in r for r in retried["aiposture"]["tool_calls"][0]["reasons"])
    assert _api(held, "agent", "GET", held.approval_id).json()["status"] == "approved"  # still usable by its owner
    assert reason in _approval_events(held, "use refused")[-1]["data"]["refused"]


def _approval_events(gw, event):
    return [e for e in gw.events() if e["direction"] == "approval" and e["data"].get("event") == event]
