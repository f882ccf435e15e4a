"""Where the text is in each API dialect, and which message role it came from."""

from __future__ import annotations

from aiposture.gateway.messages import DOCUMENT_FLAG, anthropic_slots, openai_chat_slots


def test_openai_slots_keep_the_role_of_their_message() -> None:
    body = {"messages": [
        {"role": "system", "content": "You are the support bot."},
        {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
        {"role": "user", "content": "Hello"},
        {"role": "tool", "tool_call_id": "t1", "content": "page text"},
        {"role": "system", "content": "retrieved", DOCUMENT_FLAG: True},
    ]}
    slots = openai_chat_slots(body)
    assert [(s.text, s.direction, s.role) for s in slots] == [
        ("You are the support bot.", "prompt", "system"),
        ("Answer in French.", "prompt", "developer"),
        ("Hello", "prompt", "user"),
        ("page text", "document", "tool"),
        ("retrieved", "document", None),  # flagged as a document: not the app's instructions
    ]


def test_anthropic_system_is_a_system_slot() -> None:
    body = {"system": [{"type": "text", "text": "Be brief."}],
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "Summarise"},
                {"type": "document", "source": {"type": "text", "data": "The report."}}]}]}
    slots = anthropic_slots(body)
    assert [(s.text, s.direction, s.role) for s in slots] == [
        ("Be brief.", "prompt", "system"),
        ("Summarise", "prompt", None),
        ("The report.", "document", None),
    ]
