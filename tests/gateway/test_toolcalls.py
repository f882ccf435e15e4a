"""Finding, removing and explaining tool calls in each dialect, whole and streamed.

The gate here is a plain function over the tool name (the gateway's real gate,
Cedar policies included, is exercised in test_tool_enforcement.py)."""

from __future__ import annotations

import json

import pytest

from aiposture.gateway.toolcalls_anthropic import AnthropicToolStream
from aiposture.gateway.toolcalls_anthropic import authorize_answer as anthropic_answer
from aiposture.gateway.toolcalls_openai import OpenAIToolStream
from aiposture.gateway.toolcalls_openai import authorize_answer as openai_answer
from aiposture.gateway.toolcalls_outcome import (
    MAX_ARGUMENT_BYTES,
    ArgumentError,
    CallOutcome,
    ProposedCall,
    check_name,
    parse_arguments,
)
from aiposture.gateway.toolcalls_text import NEUTRALISED, find_calls, neutralise


def gate(call: ProposedCall) -> CallOutcome:
    """search_kb is allowed, send_email needs approval, anything else is denied."""
    try:
        name = check_name(call.name)
        parse_arguments(call.arguments, call.too_large)
    except ArgumentError as err:
        return CallOutcome(call, "denied", [str(err)])
    if name == "search_kb":
        return CallOutcome(call, "allowed", ["permitted"])
    if name == "send_email":
        return CallOutcome(call, "pending", ["sends data outside"], approval_id="ap1", poll_url="/v1/approvals/ap1")
    return CallOutcome(call, "denied", [f"no policy permits {name}"], ["default-deny"])


def _tc(i: int, name: str, args: str) -> dict:
    return {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": args}}


def test_openai_answer_keeps_allowed_removes_denied_and_held():
    answer = {
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        _tc(1, "search_kb", '{"q": "vpn"}'),
                        _tc(2, "delete_repo", '{"repo": "x"}'),
                        _tc(3, "send_email", '{"to": "a@b.c"}'),
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ]
    }
    outcomes = openai_answer(answer, gate)
    assert [o.status for o in outcomes] == ["allowed", "denied", "pending"]
    message = answer["choices"][0]["message"]
    assert [c["id"] for c in message["tool_calls"]] == ["call_1"]
    assert answer["choices"][0]["finish_reason"] == "tool_calls"
    assert "delete_repo" in message["content"] and "held for human approval" in message["content"]
    ext = answer["aiposture"]
    assert ext["status"] == "pending"
    assert [(e["name"], e["status"]) for e in ext["tool_calls"]] == [
        ("delete_repo", "denied"),
        ("send_email", "pending"),
    ]
    assert ext["tool_calls"][1]["approval"] == {
        "id": "ap1",
        "status": "pending",
        "poll_url": "/v1/approvals/ap1",
        "expires": None,
    }


def test_openai_answer_all_removed_sets_stop_and_legacy_function_call():
    answer = {
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Working on it.",
                    "function_call": {"name": "wipe", "arguments": "{}"},
                },
                "finish_reason": "function_call",
            }
        ]
    }
    (outcome,) = openai_answer(answer, gate)
    choice = answer["choices"][0]
    assert outcome.call.source == "function_call" and "function_call" not in choice["message"]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["content"].startswith("Working on it.\n\n[aiposture] tool call 'wipe' was removed")


@pytest.mark.parametrize(
    "name, args, reason",
    [
        ("search_kb", '{"q": ', "not valid JSON"),
        ("search_kb", '["a"]', "must be a JSON object"),
        ("search_kb", json.dumps({"q": "x" * MAX_ARGUMENT_BYTES}), "exceed"),
        ("search_kb", "[" * 100_000 + "]" * 100_000, "exceed"),
        ("search_kb", "[" * 30_000 + "]" * 30_000, "not valid JSON"),
        ("search kb; rm -rf /", "{}", "characters outside"),
        ("search_kb\u202e", "{}", "characters outside"),
        ("", "{}", "without a tool name"),
        (None, "{}", "without a tool name"),
        ("x" * 300, "{}", "too long"),
    ],
)
def test_openai_bad_calls_denied_with_reason(name, args, reason):
    answer = {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "tool_calls": [_tc(1, name, args)]},
                "finish_reason": "tool_calls",
            }
        ]
    }
    (outcome,) = openai_answer(answer, gate)
    assert outcome.status == "denied" and reason in outcome.reasons[0]
    assert "tool_calls" not in answer["choices"][0]["message"]
    assert answer["choices"][0]["finish_reason"] == "stop"


def test_no_tool_calls_leaves_answer_untouched():
    answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}
    before = json.dumps(answer)
    assert openai_answer(answer, gate) == [] and json.dumps(answer) == before


def _chunk(delta: dict, finish: str | None = None, index: int = 0) -> dict:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


def _openai_stream(*calls: tuple[str, str]) -> list[dict]:
    events = [_chunk({"role": "assistant", "content": ""})]
    for i, (name, args) in enumerate(calls):
        events.append(
            _chunk(
                {
                    "tool_calls": [
                        {"index": i, "id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": ""}}
                    ]
                }
            )
        )
        for j in range(0, len(args), 5):
            events.append(_chunk({"tool_calls": [{"index": i, "function": {"arguments": args[j : j + 5]}}]}))
    events.append(_chunk({}, "tool_calls"))
    return events


def _run(stream, events):
    out = []
    for event in events:
        changed, released = stream.take(json.loads(json.dumps(event)))
        assert changed or released == [event]
        out += released
    return out + stream.finish()


def _assemble_openai(events):
    calls, text, finish, ext = {}, "", None, None
    for event in events:
        ext = event.get("aiposture", ext)
        for choice in event["choices"]:
            delta = choice.get("delta") or {}
            text += delta.get("content") or ""
            for frag in delta.get("tool_calls") or []:
                call = calls.setdefault(frag["index"], {"name": "", "arguments": ""})
                call["name"] += (frag.get("function") or {}).get("name") or ""
                call["arguments"] += (frag.get("function") or {}).get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    return calls, text, finish, ext


def test_openai_stream_holds_fragments_until_finish_and_drops_denied():
    stream = OpenAIToolStream(gate, MAX_ARGUMENT_BYTES)
    events = _openai_stream(("search_kb", '{"q": "vpn setup"}'), ("delete_repo", '{"repo": "prod"}'))
    out = []
    for event in events[:-1]:
        _, released = stream.take(json.loads(json.dumps(event)))
        assert all(not (c.get("delta") or {}).get("tool_calls") for e in released for c in e["choices"])
        out += released
    out += stream.take(events[-1])[1] + stream.finish()
    calls, text, finish, ext = _assemble_openai(out)
    assert calls == {0: {"name": "search_kb", "arguments": '{"q": "vpn setup"}'}}
    assert "delete_repo" in text and finish == "tool_calls"
    assert [e["name"] for e in ext["tool_calls"]] == ["delete_repo"]


def test_openai_stream_all_denied_finish_stop_and_unfinished_stream():
    out = _run(OpenAIToolStream(gate, MAX_ARGUMENT_BYTES), _openai_stream(("send_email", '{"to": "x@y.z"}')))
    calls, text, finish, ext = _assemble_openai(out)
    assert calls == {} and finish == "stop" and ext["status"] == "pending" and "approval ap1" in text
    # the stream ends before any finish_reason: calls are still decided, never released raw
    out = _run(OpenAIToolStream(gate, MAX_ARGUMENT_BYTES), _openai_stream(("wipe", "{}"))[:-1])
    calls, text, finish, ext = _assemble_openai(out)
    assert calls == {} and "'wipe' was removed" in text and ext["tool_calls"][0]["status"] == "denied"


def test_openai_stream_oversized_arguments_refused_without_keeping_them():
    stream = OpenAIToolStream(gate, 1000)
    out = _run(stream, _openai_stream(("search_kb", '{"q": "' + "a" * 5000 + '"}')))
    calls, text, _, _ = _assemble_openai(out)
    assert calls == {} and "exceed" in text
    assert stream.calls == {}


def test_openai_stream_without_tool_calls_is_untouched():
    stream = OpenAIToolStream(gate, MAX_ARGUMENT_BYTES)
    for event in [_chunk({"content": "hel"}), _chunk({"content": "lo"}), _chunk({}, "stop")]:
        assert stream.take(event) == (False, [event])
    assert stream.finish() == []


def test_anthropic_answer_removes_tool_use_blocks():
    answer = {
        "content": [
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "tu1", "name": "delete_repo", "input": {"repo": "prod"}},
        ],
        "stop_reason": "tool_use",
    }
    (outcome,) = anthropic_answer(answer, gate)
    assert outcome.status == "denied"
    assert [b["type"] for b in answer["content"]] == ["text", "text"]
    assert "delete_repo" in answer["content"][1]["text"] and answer["stop_reason"] == "end_turn"
    assert answer["aiposture"]["tool_calls"][0]["source"] == "tool_use"


def _anthropic_stream(blocks) -> list[dict]:
    events = [{"type": "message_start", "message": {"id": "m", "content": []}}]
    for i, block in enumerate(blocks):
        if block[0] == "text":
            events += [
                {"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}},
                {"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": block[1]}},
                {"type": "content_block_stop", "index": i},
            ]
        else:
            _, name, args = block
            events.append(
                {
                    "type": "content_block_start",
                    "index": i,
                    "content_block": {"type": "tool_use", "id": f"tu{i}", "name": name, "input": {}},
                }
            )
            events += [
                {
                    "type": "content_block_delta",
                    "index": i,
                    "delta": {"type": "input_json_delta", "partial_json": args[j : j + 4]},
                }
                for j in range(0, len(args), 4)
            ]
            events.append({"type": "content_block_stop", "index": i})
    events += [{"type": "message_delta", "delta": {"stop_reason": "tool_use"}}, {"type": "message_stop"}]
    return events


def _assemble_anthropic(events):
    """What an SDK does: content[index] built from start/delta events."""
    content, stop, ext = [], None, None
    for event in events:
        if event["type"] == "content_block_start":
            assert event["index"] == len(content)
            content.append({**event["content_block"], "_json": ""})
        elif event["type"] == "content_block_delta":
            block = content[event["index"]]
            block["text"] = block.get("text", "") + event["delta"].get("text", "")
            block["_json"] += event["delta"].get("partial_json", "")
        elif event["type"] == "message_delta":
            stop, ext = event["delta"].get("stop_reason"), event.get("aiposture")
    return content, stop, ext


def test_anthropic_stream_drops_denied_block_and_renumbers():
    blocks = [
        ("text", "Checking."),
        ("tool", "delete_repo", '{"repo": "prod"}'),
        ("tool", "search_kb", '{"q": "vpn"}'),
        ("text", "Done."),
    ]
    content, stop, ext = _assemble_anthropic(
        _run(AnthropicToolStream(gate, MAX_ARGUMENT_BYTES), _anthropic_stream(blocks))
    )
    assert [b["type"] for b in content] == ["text", "tool_use", "text", "text"]
    assert content[1]["name"] == "search_kb" and json.loads(content[1]["_json"]) == {"q": "vpn"}
    assert "delete_repo" in content[3]["text"] and stop == "tool_use"
    assert ext["tool_calls"][0]["name"] == "delete_repo"


def test_anthropic_stream_held_call_and_stop_reason():
    blocks = [("tool", "send_email", '{"to": "x@y.z"}')]
    content, stop, ext = _assemble_anthropic(
        _run(AnthropicToolStream(gate, MAX_ARGUMENT_BYTES), _anthropic_stream(blocks))
    )
    assert [b["type"] for b in content] == ["text"] and stop == "end_turn" and ext["status"] == "pending"
    bad = [("tool", "search_kb", '{"q": ')]
    content, _, ext = _assemble_anthropic(_run(AnthropicToolStream(gate, MAX_ARGUMENT_BYTES), _anthropic_stream(bad)))
    assert "not valid JSON" in content[0]["text"] and ext["tool_calls"][0]["status"] == "denied"


@pytest.mark.parametrize(
    "text, names",
    [
        ('Sure: {"name": "delete_repo", "arguments": {"repo": "prod"}}', ["delete_repo"]),
        ('{"tool_calls": [{"type": "function", "function": {"name": "wipe", "arguments": "{}"}}]}', ["wipe"]),
        ('<tool_call>{"name": "send_email", "arguments": {"to": "x"}}</tool_call>', ["send_email"]),
        ("<function_call name='wipe'>{}</function_call>", ["wipe"]),
        ('<invoke name="delete_repo"><parameter name="repo">x</parameter></invoke>', ["delete_repo"]),
        ('<invoke name="wipe">', ["wipe"]),
        ('<function=send_email>{"to": "x"}</function>', ["send_email"]),
        ('[TOOL_CALLS] [{"name": "wipe", "arguments": {}}]', ["wipe"]),
        ('The customer record is {"name": "Alice", "city": "Leeds"}.', []),
        ("Use the search_kb tool to look things up.", []),
        ('A form field: {"name": "email_field", "input": "text", "required": true}', []),
        ('{"name": "wipe", "arguments": "{\\"disk\\": \\"sda\\"}"}', ["wipe"]),
        ("", []),
    ],
)
def test_find_smuggled_calls(text, names):
    assert [c.name for c in find_calls(text)] == names


def test_neutralise_rewrites_only_refused_names_and_is_bounded():
    text = '<tool_call>{"name": "search_kb", "arguments": {}}</tool_call> <invoke name="wipe">'
    calls = find_calls(text)
    out = neutralise(text, [c for c in calls if c.name == "wipe"])
    assert "search_kb" in out and "wipe" not in out and NEUTRALISED in out
    many = '{"name": "wipe", "arguments": {}} ' * 1000
    assert len(find_calls(many)) == 32
