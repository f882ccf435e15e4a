"""What the agent and MCP readers know, as data (`data/discover/agents.yaml`):
high-risk tool names, approval keys, credential-like names, package launchers,
filesystem servers and the roots that make them dangerous, shell wrappers.
Loaded and validated once per process."""

from __future__ import annotations

from functools import cache
from importlib import resources

import re2
from pydantic import BaseModel, Field

from aiposture.discover import safe_yaml

_CAMEL = re2.compile(r"([a-z0-9])([A-Z])")
_NON_ALNUM = re2.compile(r"[^a-z0-9]+")
# Glued names (PGPASSWORD, GHTOKEN, OPENAIAPIKEY) still end with the telling word.
_SECRET_SUFFIXES = ("PASSWORD", "PASSWD", "TOKEN", "SECRET", "APIKEY")


class ToolCategory(BaseModel):
    category: str
    words: list[str] = Field(default_factory=list)
    contains: list[str] = Field(default_factory=list)


class Launcher(BaseModel):
    ecosystem: str


class AgentKnowledge(BaseModel):
    high_risk_tools: list[ToolCategory]
    approval_keys: list[str]
    secret_name_words: list[str]
    launchers: dict[str, Launcher]
    filesystem_servers: list[str]
    broad_roots: list[str]
    shells: list[str]
    shell_flags: list[str]

    def tool_risk(self, tool: str) -> str | None:
        """The high-risk category of a tool name, or None."""
        spaced = _CAMEL.sub(r"\1 \2", tool[:200]).lower()
        words = set(_NON_ALNUM.split(spaced)) - {""}
        squashed = _NON_ALNUM.sub("", spaced)
        for cat in self.high_risk_tools:
            if words & set(cat.words) or any(c in squashed for c in cat.contains):
                return cat.category
        return None

    def secret_name(self, name: str) -> bool:
        """Does an env/header/flag name look like it holds a credential?"""
        spaced = _CAMEL.sub(r"\1_\2", name[:200]).upper()
        parts = {p for p in re2.split(r"[^A-Z0-9]+", spaced) if p}
        if parts & set(self.secret_name_words):
            return True
        return any(p.endswith(_SECRET_SUFFIXES) for p in parts)


@cache
def knowledge() -> AgentKnowledge:
    path = resources.files("aiposture.data").joinpath("discover", "agents.yaml")
    return AgentKnowledge.model_validate(safe_yaml.load_one(path.read_text(encoding="utf-8")))
