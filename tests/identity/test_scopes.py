"""Scopes: model:/tool: globs, held when a holder's glob matches them as text."""

from __future__ import annotations

import pytest

from aiposture.identity.scopes import ScopeError, allows, holds, intersect, narrow, parse_scope, scopes_of


@pytest.mark.parametrize(
    "held, wanted, expected",
    [
        (["model:gpt-*"], "model:gpt-4o", True),
        (["model:gpt-*"], "model:*", False),
        (["model:*"], "model:gpt-*", True),
        (["tool:crm/*"], "tool:crm/read", True),
        (["tool:crm/*"], "model:crm/read", False),
        (["model:gpt-4o"], "model:gpt-4o-mini", False),
        ([], "tool:x", False),
    ],
)
def test_holds(held, wanted, expected):
    assert holds(held, wanted) is expected


def test_intersect_keeps_what_both_hold():
    agent = ["model:gpt-*", "tool:search_kb", "tool:send_email"]
    user = ["model:*", "tool:search_kb"]
    assert intersect(agent, user) == ["model:gpt-*", "tool:search_kb"]
    assert intersect(agent, []) == []


def test_narrow_and_parse():
    held = scopes_of(["gpt-*"], ["search_kb"])
    assert held == ["model:gpt-*", "tool:search_kb"]
    assert narrow(held, None) == held
    assert narrow(held, parse_scope("model:gpt-4o  model:gpt-4o")) == ["model:gpt-4o"]
    with pytest.raises(ScopeError, match="not held"):
        narrow(held, ["tool:send_email"])
    assert parse_scope("  ") is None and parse_scope(None) is None


@pytest.mark.parametrize("text", ["admin", "model:", "model:a b:c", "tool:rm -rf", "model:" + "a" * 300,
                                  " ".join(f"model:m{i}" for i in range(65)), "model:x\u202e"])
def test_parse_refuses(text):
    with pytest.raises(ScopeError):
        parse_scope(text)


def test_allows():
    scope = ("model:gpt-4o*", "tool:search_kb")
    assert allows(scope, "model", "gpt-4o-mini") and not allows(scope, "model", "claude-3")
    assert allows(scope, "tool", "search_kb") and not allows(scope, "tool", "gpt-4o")
