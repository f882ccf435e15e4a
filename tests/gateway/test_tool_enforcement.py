"""Tool calls in model answers are decided by the Cedar access policies before the
client sees them: the real `openai` client and raw HTTP against the gateway, in front
of a fake upstream whose answers propose tool calls."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from toolfakes import (
    AGENT_TOOLS,
    anthropic_answer,
    anthropic_stream,
    call,
    chat_answer,
    chat_stream,
    sse_events,
    write_policies,
)

from aiposture.gateway.toolcalls_text import NEUTRALISED


@pytest.fixture
def tools_gw(gateway, tmp_path):
    def make(**kw):
        config = {"access": str(write_policies(tmp_path / "access")), **kw.pop("config", {})}
        gw = gateway(config=config, **kw)
        gw.agent_key = gw.principals.add("helpdesk-agent", "agent", tools=AGENT_TOOLS, owner="alice")[1]
        return gw

    return make


def _raw_stream(gw, path: str, headers: dict, body: dict) -> str:
    """The raw event stream the gateway sends for a streamed request."""
    with httpx.stream("POST", f"{gw.server.url}{path}", headers=headers, json={**body, "stream": True}) as resp:
        return resp.read().decode()


def _tool_events(gw, direction="tool_call"):
    return [e for e in gw.events() if e["direction"] == direction]


def test_openai_client_sees_denied_call_removed_with_reason(tools_gw):
    gw = tools_gw()
    gw.upstream.fake.replies.append(
        {"json": chat_answer(call(1, "search_kb", {"q": "vpn"}), call(2, "wipe_disk", {"disk": "/dev/sda"}))}
    )
    reply = gw.openai(gw.agent_key).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "fix my laptop"}]
    )
    message = reply.choices[0].message
    assert [c.function.name for c in message.tool_calls] == ["search_kb"]
    assert reply.choices[0].finish_reason == "tool_calls"
    assert "'wipe_disk' was removed" in message.content and "no-wipe" in message.content
    ext = reply.model_extra["aiposture"]
    assert ext["status"] == "removed"
    (entry,) = ext["tool_calls"]
    assert (entry["name"], entry["status"], entry["policies"]) == ("wipe_disk", "denied", ["no-wipe"])
    decisions = {e["data"]["resource"]: e["verdict"]["action"] for e in _tool_events(gw)}
    assert decisions == {"search_kb": "allow", "wipe_disk": "block"}
    (model_check,) = _tool_events(gw, "authz")
    assert model_check["model"] == "gpt-4o-mini" and model_check["verdict"]["action"] == "allow"
    assert gw.trail.verify().ok


def test_all_calls_removed_sets_finish_reason_stop(tools_gw):
    gw = tools_gw()
    gw.upstream.fake.replies.append({"json": chat_answer(call(1, "delete_repo", {"repo": "prod"}))})
    reply = gw.openai(gw.agent_key).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "clean up"}]
    )
    choice = reply.choices[0]
    assert choice.message.tool_calls is None and choice.finish_reason == "stop"
    assert "no policy permits call_tool on Tool 'delete_repo'" in choice.message.content


@pytest.mark.parametrize(
    "name, arguments, reason",
    [
        ("search_kb", '{"q": "vpn', "not valid JSON"),
        ("search_kb", json.dumps({"q": "x" * 70_000}), "exceed 65536 bytes"),
        ("search_kb", "[1, 2]", "must be a JSON object"),
        ("unknown_tool", "{}", "no policy permits"),
        ("search_kb\n; rm -rf /", "{}", "characters outside"),
        ("../../etc/passwd", "{}", "characters outside"),
        ("kb/publish_page", "{}", "characters outside"),  # not in an MCP server's namespace
    ],
)
def test_bad_tool_calls_refused_with_reason_and_audited(tools_gw, name, arguments, reason):
    gw = tools_gw()
    gw.upstream.fake.replies.append({"json": chat_answer(call(1, name, arguments))})
    resp = httpx.post(
        f"{gw.server.url}/v1/chat/completions",
        headers={"authorization": f"Bearer {gw.agent_key}"},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "go"}]},
    )
    answer = resp.json()
    assert resp.status_code == 200 and "tool_calls" not in answer["choices"][0]["message"]
    (entry,) = answer["aiposture"]["tool_calls"]
    assert entry["status"] == "denied" and reason in " ".join(entry["reasons"])
    (event,) = _tool_events(gw)
    assert event["verdict"]["action"] == "block" and reason in event["verdict"]["reason"]
    assert "x" * 100 not in json.dumps(event)  # arguments are audited as a digest, not in clear


def test_context_from_headers_and_end_user_attributes(tools_gw):
    gw = tools_gw()
    gw.principals.add("bob@contoso.com", "user", attributes={"user_risk": "high", "terms_accepted": True})
    client = gw.openai(gw.agent_key)

    def ask(headers):
        gw.upstream.fake.replies.append({"json": chat_answer(call(1, "search_kb", {"q": "x"}))})
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "q"}], extra_headers=headers
        )

    with pytest.raises(openai.PermissionDeniedError, match="the user has not accepted the AI terms of use"):
        ask({"x-aiposture-end-user": "carol@contoso.com"})  # unregistered end user, no terms header
    reply = ask({"x-aiposture-end-user": "carol@contoso.com", "x-aiposture-terms-accepted": "true"})
    assert [c.function.name for c in reply.choices[0].message.tool_calls] == ["search_kb"]
    # a registered end user's directory attributes win over what the calling app says
    with pytest.raises(openai.PermissionDeniedError, match="risk level is high"):
        ask({"x-aiposture-end-user": "bob@contoso.com", "x-aiposture-user-risk": "low"})


def test_model_checked_against_access_policy(tools_gw):
    gw = tools_gw()
    with pytest.raises(openai.PermissionDeniedError) as info:
        gw.openai(gw.agent_key).chat.completions.create(
            model="gpt-3.5-turbo", messages=[{"role": "user", "content": "hi"}]
        )
    assert info.value.body["code"] == "model_not_allowed"
    assert "no policy permits invoke_model" in info.value.body["message"]
    assert gw.upstream.fake.requests == []
    (event,) = _tool_events(gw, "authz")
    assert event["verdict"]["action"] == "block" and event["model"] == "gpt-3.5-turbo"


def test_model_list_follows_the_access_policy(tools_gw):
    gw = tools_gw(
        config={
            "upstreams": [{"name": "o", "base_url": "http://127.0.0.1:9", "models": ["gpt-4o-mini", "gpt-3.5-turbo"]}]
        }
    )
    listed = gw.openai(gw.agent_key).models.list()
    assert [m.id for m in listed.data] == ["gpt-4o-mini"]  # gpt-3.5-turbo is not approved in the catalog


def test_anthropic_tool_use_removed(tools_gw):
    gw = tools_gw()
    gw.upstream.fake.replies.append(
        {
            "json": anthropic_answer(
                {"type": "text", "text": "On it."},
                {"type": "tool_use", "id": "tu1", "name": "wipe_disk", "input": {"disk": "sda"}},
            )
        }
    )
    resp = httpx.post(
        f"{gw.server.url}/v1/messages",
        headers={"x-api-key": gw.agent_key, "anthropic-version": "2023-06-01"},
        json={"model": "claude-3-5-haiku", "max_tokens": 100, "messages": [{"role": "user", "content": "go"}]},
    )
    answer = resp.json()
    assert [b["type"] for b in answer["content"]] == ["text", "text"]
    assert answer["stop_reason"] == "end_turn" and "'wipe_disk' was removed" in answer["content"][1]["text"]
    assert answer["aiposture"]["tool_calls"][0]["source"] == "tool_use"


def test_azure_route_is_enforced_too(tools_gw):
    gw = tools_gw()
    gw.upstream.fake.replies.append({"json": chat_answer(call(1, "wipe_disk", {}), model="azure-gpt")})
    resp = httpx.post(
        f"{gw.server.url}/openai/deployments/azure-gpt/chat/completions?api-version=2024-06-01",
        headers={"api-key": gw.agent_key},
        json={"messages": [{"role": "user", "content": "go"}]},
    )
    answer = resp.json()
    assert answer["aiposture"]["tool_calls"][0]["name"] == "wipe_disk"
    assert answer["choices"][0]["finish_reason"] == "stop"


def test_openai_stream_releases_allowed_call_whole_and_drops_denied(tools_gw):
    gw = tools_gw()
    gw.upstream.fake.replies.append(
        {
            "sse": chat_stream(
                ("search_kb", {"q": "vpn setup guide"}), ("wipe_disk", {"disk": "sda"}), text="Let me look."
            )
        }
    )
    stream = gw.openai(gw.agent_key).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "help"}], stream=True
    )
    calls, text, finish, ext = {}, "", None, None
    for chunk in stream:
        ext = (chunk.model_extra or {}).get("aiposture", ext)
        for choice in chunk.choices:
            text += choice.delta.content or ""
            for frag in choice.delta.tool_calls or []:
                entry = calls.setdefault(frag.index, {"name": "", "arguments": ""})
                entry["name"] += frag.function.name or ""
                entry["arguments"] += frag.function.arguments or ""
            finish = choice.finish_reason or finish
    assert calls == {0: {"name": "search_kb", "arguments": json.dumps({"q": "vpn setup guide"})}}
    assert text.startswith("Let me look.") and "'wipe_disk' was removed" in text
    assert finish == "tool_calls" and ext["tool_calls"][0]["name"] == "wipe_disk"
    assert {e["data"]["resource"] for e in _tool_events(gw)} == {"search_kb", "wipe_disk"}


def test_anthropic_stream_drops_denied_block(tools_gw):
    gw = tools_gw()
    gw.upstream.fake.replies.append(
        {
            "sse": anthropic_stream(
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "tu1", "name": "wipe_disk", "input": {"disk": "sda"}},
                {"type": "tool_use", "id": "tu2", "name": "search_kb", "input": {"q": "disk"}},
            )
        }
    )
    body = {"model": "claude-3-5-haiku", "max_tokens": 50, "messages": [{"role": "user", "content": "go"}]}
    events = sse_events(_raw_stream(gw, "/v1/messages", {"x-api-key": gw.agent_key}, body))
    starts = [d for n, d in events if n == "content_block_start"]
    assert [(s["index"], s["content_block"]["type"]) for s in starts] == [(0, "text"), (1, "tool_use"), (2, "text")]
    assert starts[1]["content_block"]["name"] == "search_kb"
    assert all(d["index"] != 3 for n, d in events if n.startswith("content_block"))
    (final,) = [d for n, d in events if n == "message_delta"]
    assert final["delta"]["stop_reason"] == "tool_use" and final["aiposture"]["tool_calls"][0]["name"] == "wipe_disk"


@pytest.mark.parametrize(
    "text",
    [
        'I will run it: {"name": "wipe_disk", "arguments": {"disk": "sda"}}',
        '<tool_call>{"name": "delete_repo", "arguments": {}}</tool_call>',
        '<invoke name="wipe_disk"><parameter name="disk">sda</parameter></invoke>',
    ],
)
def test_smuggled_call_in_text_is_neutralised(tools_gw, text):
    gw = tools_gw()
    gw.upstream.fake.replies.append({"json": chat_answer(content=text)})
    reply = gw.openai(gw.agent_key).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "go"}]
    )
    content = reply.choices[0].message.content
    assert NEUTRALISED in content and "instead of the structured field" in content
    assert 'wipe_disk"' not in content.split("[aiposture]")[0] and 'delete_repo"' not in content.split("[aiposture]")[0]
    (entry,) = reply.model_extra["aiposture"]["tool_calls"]
    assert entry["source"] == "text" and entry["status"] == "denied"
    assert _tool_events(gw)[0]["data"]["source"] == "text"


def test_allowed_tool_in_text_is_left_alone(tools_gw):
    gw = tools_gw()
    text = 'Calling {"name": "search_kb", "arguments": {"q": "vpn"}}'
    gw.upstream.fake.replies.append({"json": chat_answer(content=text)})
    reply = gw.openai(gw.agent_key).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "go"}]
    )
    assert reply.choices[0].message.content == text and "aiposture" not in (reply.model_extra or {})


def test_smuggled_call_in_stream_refused(tools_gw):
    gw = tools_gw()
    text = "Sure. " * 10 + '<function_call name="wipe_disk">{"disk": "sda"}</function_call>'
    gw.upstream.fake.replies.append({"sse": chat_stream(text=text)})
    headers = {"authorization": f"Bearer {gw.agent_key}"}
    body = _raw_stream(
        gw, "/v1/chat/completions", headers, {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "go"}]}
    )
    last = sse_events(body)[-1][1]
    assert last["error"]["code"] == "tool_call_smuggled" and "wipe_disk" in last["error"]["message"]
    assert "function_call name" not in body and "[DONE]" not in body
    assert gw.events()[-1]["data"]["error"] == "tool_call_smuggled"


def test_without_access_policy_calls_pass_unchanged(gateway):
    gw = gateway()
    gw.upstream.fake.replies.append({"json": chat_answer(call(1, "wipe_disk", {}))})
    reply = gw.openai(gw.key()).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
    )
    assert reply.choices[0].message.tool_calls[0].function.name == "wipe_disk"


def test_high_risk_call_held_for_approval(tools_gw):
    gw = tools_gw(config={"approvals": {"timeout_s": 120}})
    gw.upstream.fake.replies.append(
        {"json": chat_answer(call(1, "send_email", {"to": "cfo@example.org", "body": "Q3 numbers"}))}
    )
    reply = gw.openai(gw.agent_key).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "mail the numbers"}]
    )
    assert reply.choices[0].message.tool_calls is None and reply.choices[0].finish_reason == "stop"
    ext = reply.model_extra["aiposture"]
    (entry,) = ext["tool_calls"]
    assert ext["status"] == "pending" and entry["status"] == "pending" and entry["risk"] == "sends data outside"
    approval = entry["approval"]
    assert approval["poll_url"] == f"{gw.server.url}/v1/approvals/{approval['id']}"
    assert "held for human approval" in reply.choices[0].message.content
    stored = gw.app.state.gateway.tools.approvals.get(approval["id"])
    assert (stored.status, stored.principal, stored.tool) == ("pending", "helpdesk-agent", "send_email")
    assert (stored.expires - stored.created).total_seconds() == 120
    assert [e["verdict"]["action"] for e in _tool_events(gw)] == ["hold"]
    assert any(e["direction"] == "approval" and e["data"]["event"] == "requested" for e in gw.events())


def test_stream_high_risk_call_held_and_released_once_approved(tools_gw):
    gw = tools_gw()
    alice = gw.principals.add("alice", "user")[1]
    client = gw.openai(gw.agent_key)

    def stream(headers=None):
        gw.upstream.fake.replies.append({"sse": chat_stream(("send_email", {"to": "cfo@example.org"}))})
        calls, ext = [], None
        for chunk in client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "mail"}], stream=True, extra_headers=headers
        ):
            ext = (chunk.model_extra or {}).get("aiposture", ext)
            calls += [f.function.name for c in chunk.choices for f in c.delta.tool_calls or [] if f.function.name]
        return calls, ext

    calls, ext = stream()
    assert calls == [] and ext["status"] == "pending"
    approval = ext["tool_calls"][0]["approval"]["id"]
    httpx.post(f"{gw.server.url}/v1/approvals/{approval}/approve", headers={"authorization": f"Bearer {alice}"})
    calls, ext = stream({"x-aiposture-approval": approval})
    assert calls == ["send_email"] and ext is None
