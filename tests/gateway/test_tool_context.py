"""What the policy sees about a tool call's context: token scopes and delegation, a
sponsor-approved elevation; and what a held call sends out: the approval webhook,
the agent's callback, the gateway's own credential for an MCP server."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
from mcp_server import McpServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from toolfakes import call, chat_answer, write_policies

from aiposture.gateway.tools import LOOKUP_TTL_S
from aiposture.identity.notify import verify_signature


def _ask(gw, credential, name="search_kb", headers=None):
    gw.upstream.fake.replies.append({"json": chat_answer(call(1, name, {"q": "vpn"}))})
    resp = httpx.post(
        f"{gw.server.url}/v1/chat/completions",
        headers={"authorization": f"Bearer {credential}", **(headers or {})},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "help"}]},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def _names(answer):
    return [c["function"]["name"] for c in answer["choices"][0]["message"].get("tool_calls") or []]


def test_elevation_approved_by_sponsor_widens_scope_then_lapses(gateway, tmp_path):
    gw = gateway(config={"access": str(write_policies(tmp_path / "access"))})
    key = gw.principals.add("ops-agent", "agent", owner="alice", sponsors=["sam"])[1]  # no tools registered
    denied = _ask(gw, key)
    assert _names(denied) == [] and "no policy permits" in denied["aiposture"]["tool_calls"][0]["reasons"][0]
    gate = gw.app.state.gateway.tools
    elevations = gate.elevations
    elevation = elevations.request("ops-agent", ["tool:search_kb"], 30, "incident 4711: read the runbooks")
    assert _names(_ask(gw, key)) == []  # requested is not granted
    elevations.approve(elevation.id, "sam")
    assert _names(_ask(gw, key)) == []  # the gateway looked active elevations up less than 2 s ago
    gate.clock = lambda: time.monotonic() + LOOKUP_TTL_S  # ... and now it is 2 s later
    allowed = _ask(gw, key)
    assert _names(allowed) == ["search_kb"]
    lapsed = elevations.get(elevation.id).expires + timedelta(seconds=60)
    assert elevations.active_scopes("ops-agent", now=lapsed) == []


def test_token_scopes_and_delegated_user_reach_the_policy(gateway, tmp_path):
    gw = gateway(config={"access": str(write_policies(tmp_path / "access"))})
    gw.principals.add("ops-agent", "agent", owner="alice")
    gw.principals.add("dana", "user", attributes={"terms_accepted": False})
    tokens = gw.app.state.gateway.tokens
    scoped = tokens.issue("ops-agent", scope=["model:gpt-4o-mini", "tool:search_kb"])[0]
    assert _names(_ask(gw, scoped)) == ["search_kb"]  # in_scope from the token
    delegated = tokens.issue(
        "ops-agent", sub="dana", act="ops-agent", grant="token_exchange", scope=["model:gpt-4o-mini", "tool:search_kb"]
    )[0]
    resp = httpx.post(
        f"{gw.server.url}/v1/chat/completions",
        headers={"authorization": f"Bearer {delegated}", "x-aiposture-terms-accepted": "true"},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "help"}]},
    )
    # dana's own record says she has not accepted the terms; the app's header cannot override it
    assert resp.status_code == 403 and "terms of use" in resp.json()["error"]["message"]
    (event,) = [e for e in gw.events() if e["direction"] == "authz" and e["verdict"]["action"] == "block"]
    assert event["end_user"] == "dana"


def test_a_user_calling_for_itself_is_judged_on_its_own_record(gateway, tmp_path):
    gw = gateway(config={"access": str(write_policies(tmp_path / "access"))})
    risky = gw.principals.add("erin", "user", attributes={"user_risk": "high"})[1]
    calm = gw.principals.add("frank", "user", attributes={"user_risk": "low"})[1]

    def ask(key, headers=None):
        return httpx.post(
            f"{gw.server.url}/v1/chat/completions",
            headers={"authorization": f"Bearer {key}", **(headers or {})},
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "help"}]},
        )

    resp = ask(risky)  # her own record says her risk is high, though no end user is named
    assert resp.status_code == 403 and "risk level is high" in resp.json()["error"]["message"]
    gw.upstream.fake.replies.append({"json": chat_answer()})
    assert ask(calm, {"x-aiposture-user-risk": "high"}).status_code == 200  # his record wins over a header


def test_held_call_notifies_the_webhook_signed(gateway, serve, tmp_path, monkeypatch):
    received = []

    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    receiver = serve(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))
    monkeypatch.setenv("HOOK_SECRET", "s3cret-for-tests")
    gw = gateway(
        config={
            "access": str(write_policies(tmp_path / "access")),
            "approvals": {"webhook_url": f"{receiver.url}/hook", "webhook_secret_env": "HOOK_SECRET"},
        }
    )
    key = gw.principals.add("mail-agent", "agent", tools=["send_email"], owner="alice")[1]
    answer = _ask(gw, key, "send_email")
    approval_id = answer["aiposture"]["tool_calls"][0]["approval"]["id"]
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.02)
    (headers, body) = received[0]
    event = json.loads(body)
    assert event["event"] == "approval.requested" and event["approval"]["id"] == approval_id
    assert verify_signature(
        "s3cret-for-tests", body, headers["x-aiposture-timestamp"], headers["x-aiposture-signature"]
    )


def test_agent_called_back_when_decided(gateway, serve, tmp_path):
    received = []

    async def hook(request: Request) -> Response:
        received.append(json.loads(await request.body()))
        return Response(status_code=204)

    receiver = serve(Starlette(routes=[Route("/done", hook, methods=["POST"])]))
    gw = gateway(
        config={"access": str(write_policies(tmp_path / "access")), "approvals": {"callback_hosts": ["127.0.0.1"]}}
    )
    key = gw.principals.add("mail-agent", "agent", tools=["send_email"], owner="alice")[1]
    alice = gw.principals.add("alice", "user")[1]
    answer = _ask(gw, key, "send_email", headers={"x-aiposture-callback-url": f"{receiver.url}/done"})
    approval_id = answer["aiposture"]["tool_calls"][0]["approval"]["id"]
    assert gw.app.state.gateway.tools.approvals.get(approval_id).callback_url == f"{receiver.url}/done"
    httpx.post(f"{gw.server.url}/v1/approvals/{approval_id}/deny", headers={"authorization": f"Bearer {alice}"})
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.02)
    assert received[0]["event"] == "approval.denied" and received[0]["approval"]["decided_by"] == "alice"
    # a callback to a host the operator did not list is ignored, not called
    other = _ask(gw, key, "send_email", headers={"x-aiposture-callback-url": "http://169.254.169.254/latest"})
    held = other["aiposture"]["tool_calls"][0]["approval"]["id"]
    assert gw.app.state.gateway.tools.approvals.get(held).callback_url is None


def test_mcp_server_credential_is_the_gateways_own(gateway, serve, tmp_path, monkeypatch):
    server = McpServer()
    url = serve(server.app).url
    monkeypatch.setenv("KB_MCP_KEY", "kb-server-secret")
    gw = gateway(
        config={
            "access": str(write_policies(tmp_path / "access")),
            "mcp": [{"name": "kb", "url": f"{url}/mcp", "audience": "mcp-kb", "api_key_env": "KB_MCP_KEY"}],
        }
    )
    gw.principals.add("kb-agent", "agent", tools=["kb/*"], owner="alice")
    token = gw.app.state.gateway.tokens.issue("kb-agent", audience="mcp-kb")[0]
    resp = httpx.post(
        f"{gw.server.url}/mcp/kb",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 200
    assert server.headers[-1]["authorization"] == "Bearer kb-server-secret"
