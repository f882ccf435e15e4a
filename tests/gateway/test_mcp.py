"""An MCP server behind the gateway: bearer tokens bound to the server's audience,
RFC 9728 metadata, tools/call decided by the same Cedar policies, approvals used once."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from mcp_server import McpServer
from toolfakes import AGENT_TOOLS, call, chat_answer, write_policies


@pytest.fixture
def mcp(gateway, serve, tmp_path):
    server = McpServer()
    url = serve(server.app).url
    gw = gateway(
        config={
            "access": str(write_policies(tmp_path / "access")),
            "mcp": [{"name": "kb", "url": f"{url}/mcp", "audience": "mcp-kb"}],
        }
    )
    gw.mcp = server
    gw.agent_key = gw.principals.add("helpdesk-agent", "agent", tools=AGENT_TOOLS, owner="alice")[1]
    gw.alice = gw.principals.add("alice", "user")[1]
    gw.tokens = gw.app.state.gateway.tokens
    # as /oauth/token grants it: the agent's registered tools as scopes
    gw.token = gw.tokens.issue("helpdesk-agent", audience="mcp-kb", ttl_s=600,
                               scope=[f"tool:{t}" for t in AGENT_TOOLS])[0]
    return gw


def _rpc(gw, method, params=None, token=None, rpc_id=1, **kw):
    body = {"jsonrpc": "2.0", "id": rpc_id, "method": method}
    if params is not None:
        body["params"] = params
    headers = {"accept": "application/json, text/event-stream"}
    if token is not False:
        headers["authorization"] = f"Bearer {token or gw.token}"
    return httpx.post(f"{gw.server.url}/mcp/kb", json=body, headers=headers, **kw)


def test_no_token_gets_401_pointing_at_resource_metadata(mcp):
    resp = _rpc(mcp, "tools/list", token=False)
    assert resp.status_code == 401
    challenge = resp.headers["www-authenticate"]
    metadata_url = f"{mcp.server.url}/.well-known/oauth-protected-resource/mcp/kb"
    assert challenge == f'Bearer resource_metadata="{metadata_url}"'
    meta = httpx.get(metadata_url).json()
    assert meta["resource"] == f"{mcp.server.url}/mcp/kb" and meta["authorization_servers"] == [mcp.server.url]
    assert meta["bearer_methods_supported"] == ["header"]
    assert mcp.mcp.requests == []


def test_client_discovers_the_token_endpoint_and_gets_a_token_for_the_server(mcp):
    """The MCP authorization flow end to end: 401 -> resource metadata -> authorization
    server metadata -> client credentials for the server's audience -> the call works."""
    key = mcp.principals.add("kb-client", "agent", tools=["kb/*"], owner="alice")[1]
    challenge = _rpc(mcp, "tools/list", token=False).headers["www-authenticate"]
    meta = httpx.get(challenge.split('resource_metadata="')[1].rstrip('"')).json()
    server = httpx.get(f"{meta['authorization_servers'][0]}/.well-known/oauth-authorization-server").json()
    grant = httpx.post(
        server["token_endpoint"],
        data={"grant_type": "client_credentials", "client_id": "kb-client", "client_secret": key, "resource": "mcp-kb"},
    )
    assert grant.status_code == 200, grant.text
    token = grant.json()["access_token"]
    assert [t["name"] for t in _rpc(mcp, "tools/list", token=token).json()["result"]["tools"]][0] == "search_pages"
    models = httpx.post(  # a token for the MCP server is no token for the model routes
        f"{mcp.server.url}/v1/chat/completions",
        headers={"authorization": f"Bearer {token}"},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert models.status_code == 401


def _bad_tokens(gw):
    tokens = gw.tokens
    good, claims = tokens.issue("helpdesk-agent", audience="mcp-kb")
    tokens.revocations.revoke_token(claims.jti, claims.exp, "test")
    head, body, sig = tokens.issue("helpdesk-agent", audience="mcp-kb")[0].split(".")
    return {
        "wrong_audience": tokens.issue("helpdesk-agent")[0],  # a model-gateway token
        "expired": tokens.issue("helpdesk-agent", audience="mcp-kb", now=time.time() - 3600)[0],
        "revoked": good,
        "bad_signature": f"{head}.{body}.{sig[:-4]}AAAA",
        "malformed": gw.key("some-app"),  # an API key is not an OAuth bearer token here
    }


@pytest.mark.parametrize("reason", ["wrong_audience", "expired", "revoked", "bad_signature", "malformed"])
def test_bad_tokens_refused_with_reason_and_audited(mcp, reason):
    resp = _rpc(mcp, "tools/list", token=_bad_tokens(mcp)[reason])
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_token"
    challenge = resp.headers["www-authenticate"]
    assert 'error="invalid_token"' in challenge and "resource_metadata=" in challenge
    event = [e for e in mcp.events() if e["direction"] == "token"][-1]
    assert event["verdict"]["action"] == "block" and event["data"]["reason"] == reason
    assert mcp.mcp.requests == []


def test_disabled_principal_token_refused(mcp):
    mcp.principals.set_enabled("helpdesk-agent", False)
    resp = _rpc(mcp, "tools/list")
    assert resp.status_code == 401 and "disabled" in resp.json()["error_description"]


def test_tools_list_shows_only_callable_tools_and_session_passes(mcp):
    resp = _rpc(mcp, "tools/list")
    names = [t["name"] for t in resp.json()["result"]["tools"]]
    assert names == ["search_pages", "publish_page", "stream_report"]  # delete_space is forbidden
    assert resp.headers["mcp-session-id"] == "sess-1"


def test_tools_list_answered_as_event_stream_is_filtered_too(mcp):
    resp = _rpc(mcp, "tools/list", {"cursor": "as-events"})
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = [e for e in resp.text.split("\n\n") if e.strip()]
    assert "notifications/progress" in events[0]
    answer = json.loads(events[1].split("data: ", 1)[1])
    assert [t["name"] for t in answer["result"]["tools"]] == ["search_pages", "publish_page", "stream_report"]


def test_allowed_call_forwarded_without_the_clients_token(mcp):
    resp = _rpc(mcp, "tools/call", {"name": "search_pages", "arguments": {"q": "vpn"}})
    assert resp.json()["result"]["content"][0]["text"] == 'search_pages ran with {"q": "vpn"}'
    assert "authorization" not in mcp.mcp.headers[-1]  # no token passthrough
    (event,) = [e for e in mcp.events() if e["direction"] == "tool_call"]
    assert event["data"]["resource"] == "kb/search_pages" and event["verdict"]["action"] == "allow"


@pytest.mark.parametrize(
    "params, reason",
    [
        ({"name": "delete_space", "arguments": {"space": "HR"}}, "knowledge spaces are deleted by people"),
        ({"name": "../admin", "arguments": {}}, "characters outside"),
        ({"name": "search_pages", "arguments": "q=vpn"}, "must be a JSON object"),
        ({"name": "search_pages", "arguments": {"q": "x" * 70_000}}, "exceed"),
    ],
)
def test_denied_call_is_a_jsonrpc_error_and_never_forwarded(mcp, params, reason):
    resp = _rpc(mcp, "tools/call", params, rpc_id=7)
    error = resp.json()["error"]
    assert resp.json()["id"] == 7 and error["code"] == -32001 and reason in error["message"]
    assert error["data"]["aiposture"]["status"] == "denied"
    assert mcp.mcp.calls(params["name"]) == []


def test_a_narrowed_token_bounds_the_tools_its_agent_may_call(mcp):
    """Least privilege: a token granted only kb/search_pages cannot call another kb tool
    that the agent's registration (kb/*) and the policies would otherwise allow."""
    narrow = mcp.tokens.issue("helpdesk-agent", audience="mcp-kb", scope=["tool:kb/search_pages"])[0]
    params = {"name": "publish_page", "arguments": {"page": "Q3 results"}}
    error = _rpc(mcp, "tools/call", params, token=narrow).json()["error"]
    assert error["code"] == -32001 and "access token scope does not include tool:kb/publish_page" in error["message"]
    assert mcp.mcp.calls("publish_page") == []
    allowed = _rpc(mcp, "tools/call", {"name": "search_pages", "arguments": {"q": "vpn"}}, token=narrow).json()
    assert "result" in allowed


def test_high_risk_call_waits_for_approval_then_runs_exactly_once(mcp):
    params = {"name": "publish_page", "arguments": {"page": "Q3 results"}}
    pending = _rpc(mcp, "tools/call", params).json()["error"]
    assert pending["code"] == -32002 and "approval pending" in pending["message"]
    approval = pending["data"]["aiposture"]["approval"]
    assert mcp.mcp.calls("publish_page") == []
    early = _rpc(mcp, "tools/call", {**params, "_meta": {"aiposture/approval": approval["id"]}}).json()
    assert early["error"]["code"] == -32001 and "still pending" in early["error"]["message"]
    decided = httpx.post(
        f"{mcp.server.url}/v1/approvals/{approval['id']}/approve", headers={"authorization": f"Bearer {mcp.alice}"}
    )
    assert decided.json()["status"] == "approved"
    retry = {**params, "_meta": {"aiposture/approval": approval["id"], "progressToken": "p1"}}
    done = _rpc(mcp, "tools/call", retry).json()
    assert done["result"]["content"][0]["text"] == 'publish_page ran with {"page": "Q3 results"}'
    (forwarded,) = mcp.mcp.calls("publish_page")
    assert forwarded["params"]["_meta"] == {"progressToken": "p1"}  # the approval id is ours, not the server's
    replay = _rpc(mcp, "tools/call", retry).json()
    assert replay["error"]["code"] == -32001 and "already used" in replay["error"]["message"]
    assert len(mcp.mcp.calls("publish_page")) == 1


def test_approval_bound_to_tool_and_arguments(mcp):
    params = {"name": "publish_page", "arguments": {"page": "Q3 results"}}
    approval = _rpc(mcp, "tools/call", params).json()["error"]["data"]["aiposture"]["approval"]["id"]
    httpx.post(f"{mcp.server.url}/v1/approvals/{approval}/approve", headers={"authorization": f"Bearer {mcp.alice}"})
    other = {"name": "publish_page", "arguments": {"page": "salaries"}, "_meta": {"aiposture/approval": approval}}
    assert "other arguments" in _rpc(mcp, "tools/call", other).json()["error"]["message"]
    assert mcp.mcp.calls("publish_page") == []


def test_approval_for_another_tool_refused(mcp):
    arguments = {"page": "Q3 results"}
    approval = _rpc(mcp, "tools/call", {"name": "publish_page", "arguments": arguments}).json()
    approval_id = approval["error"]["data"]["aiposture"]["approval"]["id"]
    httpx.post(f"{mcp.server.url}/v1/approvals/{approval_id}/approve", headers={"authorization": f"Bearer {mcp.alice}"})
    mcp.upstream.fake.replies.append({"json": chat_answer(call(1, "send_email", arguments))})
    answer = httpx.post(
        f"{mcp.server.url}/v1/chat/completions",
        headers={"authorization": f"Bearer {mcp.agent_key}", "x-aiposture-approval": approval_id},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "publish"}]},
    ).json()
    (entry,) = answer["aiposture"]["tool_calls"]
    assert entry["status"] == "pending" and any("is for tool 'kb/publish_page'" in r for r in entry["reasons"])
    refused = [e for e in mcp.events() if e["direction"] == "approval" and e["data"].get("event") == "use refused"]
    assert refused and refused[-1]["data"]["approval"] == approval_id


def test_event_stream_answer_passes_through(mcp):
    with httpx.stream(
        "POST",
        f"{mcp.server.url}/mcp/kb",
        json={"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "stream_report", "arguments": {}}},
        headers={"authorization": f"Bearer {mcp.token}", "accept": "application/json, text/event-stream"},
    ) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        body = resp.read().decode()
    assert "notifications/progress" in body and '"text": "report"' in body


@pytest.mark.parametrize(
    "content, code",
    [
        (b"{not json", -32700),
        (b'{"id": 1, "method": "tools/list"}', -32600),
        (b'[{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]', -32600),  # batches left MCP in 2025-06
    ],
)
def test_malformed_jsonrpc_refused(mcp, content, code):
    resp = httpx.post(
        f"{mcp.server.url}/mcp/kb",
        content=content,
        headers={"authorization": f"Bearer {mcp.token}", "content-type": "application/json"},
    )
    assert resp.json()["error"]["code"] == code and mcp.mcp.requests == []


def test_unknown_server_and_get_method(mcp):
    assert httpx.post(f"{mcp.server.url}/mcp/nope", json={}).status_code == 404
    assert httpx.get(f"{mcp.server.url}/mcp/kb").status_code == 405


def test_initialize_and_notifications_pass_through(mcp):
    init = _rpc(mcp, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t"}})
    assert init.json()["result"]["serverInfo"] == {"name": "kb"} and init.headers["mcp-session-id"] == "sess-1"
    note = httpx.post(
        f"{mcp.server.url}/mcp/kb",
        json={"jsonrpc": "2.0", "method": "notifications/initialized"},
        headers={
            "authorization": f"Bearer {mcp.token}",
            "mcp-session-id": "sess-1",
            "mcp-protocol-version": "2025-06-18",
        },
    )
    assert note.status_code == 202 and note.content == b""
    forwarded = mcp.mcp.headers[-1]
    assert forwarded["mcp-session-id"] == "sess-1" and forwarded["mcp-protocol-version"] == "2025-06-18"


def test_oversized_answer_is_refused_not_buffered(mcp, monkeypatch):
    import aiposture.gateway.mcp as proxy

    monkeypatch.setattr(proxy, "MAX_ANSWER_BYTES", 100)
    resp = _rpc(mcp, "tools/list")
    assert resp.status_code == 502 and "larger than 100 bytes" in resp.json()["error"]["message"]
