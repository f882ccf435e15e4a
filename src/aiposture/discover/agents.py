"""Scanner `agents`: MCP server configurations and agent definitions.

Routing is by file name only (cheap `wants`): known MCP config names and locations
go to `mcp.py`, agent-definition names to `agent_defs.py` (a `READERS` table, not a
chain of ifs). JSON configs of editors are JSONC (comments, trailing commas), so a
strict parse that fails is retried once after a linear comment/trailing-comma strip.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from aiposture.discover import agent_defs, mcp, safe_yaml
from aiposture.discover.base import MalformedInput, ScanOutput, SourceFile

MCP_NAMES = frozenset({"mcp.json", ".mcp.json", "claude_desktop_config.json", "mcp_config.json",
                       "cline_mcp_settings.json", "mcp_settings.json", "mcp-servers.json",
                       "mcp_servers.json"})
MCP_PATH_SUFFIXES = (".vscode/settings.json", ".gemini/settings.json", ".continue/config.json",
                     ".continue/config.yaml", ".continue/config.yml", ".zed/settings.json")
MCP_FOLDERS = (".continue/mcpservers/",)
AGENT_NAMES = frozenset({"agents.yaml", "agents.yml", "agent.yaml", "agent.yml", "agent.json",
                         "assistant.json", "assistants.json", "team.json", "agents.json",
                         "root_agent.yaml", "langgraph.json"})
AGENT_SUFFIXES = (".agent.yaml", ".agent.yml", ".agent.json", ".assistant.json", ".team.json")

# Literal strings a file must contain to be worth parsing, per reader.
_MARKERS: dict[str, tuple[str, ...]] = {
    "mcp": ("mcpServers", "servers", "context_servers", "modelContextProtocolServers"),
    "agent": ("tools", "role", "assistant", "agent", "graphs"),
}

READERS: dict[str, Callable[[SourceFile, str, Any, ScanOutput], None]] = {
    "mcp": mcp.scan_config,
    "agent": agent_defs.scan_definitions,
}


def classify(rel: str, name: str) -> str | None:
    """Which reader a path belongs to, from its name alone."""
    low_name, low_rel = name.lower(), rel.lower()
    if low_name in MCP_NAMES or low_rel.endswith(MCP_PATH_SUFFIXES):
        return "mcp"
    in_folder = any(folder in "/" + low_rel for folder in MCP_FOLDERS)
    if in_folder and low_name.endswith((".yaml", ".yml", ".json")):
        return "mcp"
    if low_name in AGENT_NAMES or low_name.endswith(AGENT_SUFFIXES):
        return "agent"
    return None


def strip_jsonc(text: str) -> str:
    """Remove // and /* */ comments outside strings and commas before } or ]."""
    out: list[str] = []
    i, n = 0, len(text)
    in_str = False
    while i < n:
        ch = text[i]
        if in_str:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
            out.append(ch)
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j == -1 else j
            continue
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j == -1 else j + 2
            continue
        elif ch in "}]":
            k = len(out) - 1
            while k >= 0 and out[k] in " \t\r\n":
                k -= 1
            if k >= 0 and out[k] == ",":
                del out[k]
            out.append(ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def load_document(source: SourceFile, text: str) -> Any:
    try:
        if source.suffix == ".json":
            try:
                return json.loads(text)
            except ValueError:
                return json.loads(strip_jsonc(text))
        return safe_yaml.load_one(text)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        kind = "JSON" if source.suffix == ".json" else "YAML"
        raise MalformedInput(f"malformed {kind}: {str(exc).splitlines()[0][:160]}") from exc


class AgentScanner:
    """Scanner `agents` (see the module docstring)."""

    name = "agents"

    def wants(self, rel: str, name: str, suffix: str) -> bool:
        return suffix in (".json", ".yaml", ".yml") and classify(rel, name) is not None

    def scan(self, source: SourceFile, out: ScanOutput) -> None:
        kind = classify(source.rel, source.name)
        if kind is None:
            return
        text = source.text()
        if text is None:
            out.skip(source.rel, "binary or non-UTF-8 file")
            return
        if not any(k in text for k in _MARKERS[kind]):
            return  # e.g. a VS Code settings.json without MCP servers: not even parsed
        try:
            READERS[kind](source, text, load_document(source, text), out)
        except RecursionError as exc:
            raise MalformedInput(f"{kind} config nested too deeply") from exc
