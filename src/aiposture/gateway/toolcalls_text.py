"""Tool calls smuggled in text instead of the structured field.

A model (or an injection steering it) can write a tool invocation into its text: a
JSON `{"name": ..., "arguments": ...}` or `"tool_calls"` block, a `<tool_call>` /
`<function_call>` tag, Llama's `<function=name>`, or Anthropic-style
`<invoke name="...">`. Agent frameworks that parse text for calls would then run a
tool the gateway never saw. `find_calls` spots such invocations (RE2, linear time,
bounded count); the gate decides each named tool as a call with no arguments, and
`neutralise` rewrites the name of every refused one so no parser can run it.
"""

from __future__ import annotations

from dataclasses import dataclass

import re2

MAX_FOUND = 32  # invocations looked at per text
_NEAR = 400  # characters around a JSON "name" in which a call marker must appear
NEUTRALISED = "aiposture-refused-tool-call"

_NAME = r"([A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127})"
_FORMS = (
    ("json", re2.compile(r'"(?:name|tool_name|tool|function)"\s*:\s*"' + _NAME + '"')),
    ("invoke", re2.compile(r"(?i)<(?:[a-z_]{1,32}:)?invoke\s+name\s*=\s*[\"']?" + _NAME)),
    ("tag", re2.compile(r"(?i)<(?:tool_call|function_call|tool_use|tool)\s+name\s*=\s*[\"']?" + _NAME)),
    ("function", re2.compile(r"(?i)<function\s*=\s*[\"']?" + _NAME)),
)
# a JSON "name" counts as a call only near one of these: arguments that are an object
# (or an object in a JSON string, OpenAI's way), or a tool-call key, tag or token
_MARKER = re2.compile(
    r'(?i)"(?:arguments|parameters|input|args)"\s*:\s*"?\{|"tool_calls"|"function_call"'
    r"|<(?:tool_call|function_call|tool_use|function_calls)\b|\[TOOL_CALLS\]"
)


@dataclass(frozen=True)
class TextCall:
    name: str
    form: str  # json | invoke | tag | function
    start: int  # span of the name in the text
    end: int


def find_calls(text: str) -> list[TextCall]:
    """Tool invocations written in `text`, in order, at most MAX_FOUND."""
    found: list[TextCall] = []
    if not text or ('"' not in text and "<" not in text):
        return found
    for form, pattern in _FORMS:
        for match in pattern.finditer(text):
            start, end = match.start(1), match.end(1)
            if form == "json" and not _MARKER.search(text[max(0, start - _NEAR) : end + _NEAR]):
                continue
            found.append(TextCall(match.group(1), form, start, end))
            if len(found) >= MAX_FOUND:
                break
    found.sort(key=lambda c: c.start)
    return found[:MAX_FOUND]


def neutralise(text: str, refused: list[TextCall]) -> str:
    """Replace the tool name of each refused invocation, right to left so offsets hold."""
    for call in sorted(refused, key=lambda c: c.start, reverse=True):
        text = text[: call.start] + NEUTRALISED + text[call.end :]
    return text
