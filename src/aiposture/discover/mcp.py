"""MCP (Model Context Protocol) server configurations of AI clients.

Every client keeps a slightly different file - `mcpServers` (Claude Desktop, Claude
Code `.mcp.json`, Cursor, Windsurf, Cline, Gemini CLI), `servers` (VS Code
`mcp.json`) or `mcp.servers` (VS Code settings), `context_servers` (Zed), a list
(Continue) - but each entry is a server launched by `command`/`args` (stdio) or
reached at a `url` (HTTP/SSE). Each becomes an `mcp-server` asset; values of `env`
and `headers` are never kept (names only) and secret-looking arguments and URL
parts are masked. Findings: secrets written into the config, remote servers with
no auth configured or over plain HTTP, packages fetched unpinned at every start
(`npx -y pkg`), filesystem servers rooted at `/` or `~`, launches through a shell.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiposture.discover.agent_knowledge import AgentKnowledge, knowledge
from aiposture.discover.base import LineIndex, ScanOutput, SourceFile
from aiposture.discover.mcp_risks import (
    basename,
    is_loopback,
    is_placeholder,
    risks,
    sanitize_url,
    secret_types,
)
from aiposture.discover.rules import make_finding
from aiposture.model import Asset, mask_secret

_CLIENT_BY_PATH = ((".vscode/", "vscode"), (".cursor/", "cursor"), (".continue/", "continue"),
                   (".gemini/", "gemini-cli"), ("windsurf/", "windsurf"), (".roo/", "roo-code"))
_CLIENT_BY_NAME = {"claude_desktop_config.json": "claude-desktop", ".mcp.json": "claude-code",
                   "mcp_config.json": "windsurf", "cline_mcp_settings.json": "cline",
                   "mcp_settings.json": "roo-code"}
_TRANSPORTS = {"stdio": "stdio", "sse": "sse", "http": "http", "streamable-http": "http",
               "streamablehttp": "http", "streamable_http": "http", "ws": "websocket",
               "websocket": "websocket"}


@dataclass
class McpServer:
    name: str
    config: dict[str, Any]
    command: str = ""
    args: list[str] = field(default_factory=list)
    env: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    transport: str = "stdio"


def server_entries(doc: Any) -> list[tuple[str, dict[str, Any]]]:
    """(name, config) of every server in any client's layout."""
    if not isinstance(doc, dict):
        return []
    found: list[tuple[str, dict[str, Any]]] = []
    holders = [doc.get("mcpServers"), doc.get("servers"), doc.get("context_servers"),
               (doc.get("mcp") or {}).get("servers") if isinstance(doc.get("mcp"), dict) else None,
               (doc.get("experimental") or {}).get("modelContextProtocolServers")
               if isinstance(doc.get("experimental"), dict) else None]
    for holder in holders:
        if isinstance(holder, dict):
            found.extend((str(k), v) for k, v in holder.items() if isinstance(v, dict))
        elif isinstance(holder, list):
            for i, item in enumerate(holder):
                if isinstance(item, dict):
                    found.append((str(item.get("name") or f"server-{i + 1}"), item))
    return found


def _str_map(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def normalise(name: str, cfg: dict[str, Any]) -> McpServer:
    server = McpServer(name=name, config=cfg)
    command = cfg.get("command")
    transport = cfg.get("transport")
    if isinstance(transport, dict):  # Continue's older layout
        cfg = {**cfg, **transport}
        command, transport = cfg.get("command"), cfg.get("type")
    if isinstance(command, dict):  # Zed: {path, args, env}
        cfg = {**cfg, **command}
        command = command.get("path")
    server.command = str(command) if isinstance(command, str) else ""
    raw_args = cfg.get("args")
    raw_args = raw_args if isinstance(raw_args, list) else []
    server.args = [str(a) for a in raw_args if isinstance(a, str | int | float)]
    if server.command and not server.args and " " in server.command.strip():
        server.command, *server.args = server.command.split()
    server.env = _str_map(cfg.get("env"))
    server.headers = _str_map(cfg.get("headers"))
    url = cfg.get("url") or cfg.get("serverUrl") or cfg.get("httpUrl")
    server.url = url if isinstance(url, str) else ""
    kind = cfg.get("type") if isinstance(cfg.get("type"), str) else transport
    if isinstance(kind, str) and kind.lower() in _TRANSPORTS:
        server.transport = _TRANSPORTS[kind.lower()]
    elif server.url:
        server.transport = "sse" if server.url.rstrip("/").endswith("/sse") else "http"
    _via_mcp_remote(server)
    return server


def _via_mcp_remote(server: McpServer) -> None:
    """`npx mcp-remote https://...` is a local proxy to a remote server."""
    if not any(a.split("@")[0] == "mcp-remote" for a in server.args):
        return
    for i, arg in enumerate(server.args):
        if arg.startswith(("http://", "https://")) and not server.url:
            server.url = arg
        if arg == "--header" and i + 1 < len(server.args):
            key, _, value = server.args[i + 1].partition(":")
            server.headers[key.strip()] = value.strip()


def client_of(rel: str, name: str) -> str:
    low = "/" + rel.lower()
    for fragment, client in _CLIENT_BY_PATH:
        if "/" + fragment in low or fragment in low:
            return client
    return _CLIENT_BY_NAME.get(name.lower(), "generic")


def scan_config(source: SourceFile, text: str, doc: Any, out: ScanOutput) -> None:
    entries = server_entries(doc)
    if not entries:
        return
    know = knowledge()
    index = LineIndex(text)
    client = client_of(source.rel, source.name)
    cursor = 0
    for name, cfg in entries:
        pos = _find_name(text, name, cursor)
        if pos < 0:  # unnamed list entries (Continue): find the command or URL instead
            pos = _find_value(text, cfg, cursor)
        cursor = pos + 1 if pos >= 0 else cursor
        server = normalise(name, cfg)
        loc = source.loc(index.line(pos) if pos >= 0 else None)
        asset = Asset.make("mcp-server", name, f"{source.rel}#{name}", locations=[loc],
                           properties=_properties(server, client, know))
        for rule, evidence, disc in risks(server, know, launched_package(server, know)):
            out.finding(make_finding(rule, loc, asset=asset.id, evidence=f"MCP server {name!r}: {evidence}",
                                     discriminator=disc))
        out.asset(asset)


def _find_name(text: str, name: str, start: int) -> int:
    for needle in (f'"{name}"', f"name: {name}", f"{name}:"):
        pos = text.find(needle, start)
        if pos >= 0:
            return pos
    return -1


def _find_value(text: str, cfg: dict[str, Any], start: int) -> int:
    transport = cfg.get("transport") if isinstance(cfg.get("transport"), dict) else {}
    for value in (cfg.get("command"), cfg.get("url"), transport.get("command"), transport.get("url")):
        if isinstance(value, str) and value:
            pos = text.find(json.dumps(value), start)
            if pos < 0:
                pos = text.find(value, start)
            if pos >= 0:
                return pos
    return -1


def _properties(server: McpServer, client: str, know: AgentKnowledge) -> dict[str, Any]:
    props: dict[str, Any] = {
        "client": client,
        "transport": server.transport,
        "command": server.command or None,
        "args": _masked_args(server.args, know),
        "url": sanitize_url(server.url) if server.url else None,
        "remote": bool(server.url) and not is_loopback(server.url),
        "env": sorted(server.env),
        "headers": sorted(server.headers),
        "depends_on": [],
    }
    package = launched_package(server, know)
    if package is not None:
        props.update(package)
    if server.config.get("disabled") is True:
        props["disabled"] = True
    auto = server.config.get("autoApprove") or server.config.get("alwaysAllow")
    if isinstance(auto, list):
        props["auto_approve"] = [str(t) for t in auto][:100]
    return props


def _masked_args(args: list[str], know: AgentKnowledge) -> list[str]:
    masked: list[str] = []
    secret_next = False
    for arg in args[:200]:
        flag, eq, value = arg.partition("=")
        if secret_next and not is_placeholder(arg):
            masked.append(mask_secret(arg))
        elif eq and know.secret_name(flag) and not is_placeholder(value):
            masked.append(f"{flag}={mask_secret(value)}")
        elif secret_types(arg):
            masked.append(mask_secret(arg))
        else:
            masked.append(sanitize_url(arg) if arg.startswith(("http://", "https://")) else arg)
        secret_next = arg.startswith("-") and not eq and know.secret_name(arg)
    return masked


def launched_package(server: McpServer, know: AgentKnowledge) -> dict[str, Any] | None:
    """The package a launcher (`npx`, `uvx`, ...) fetches, with its pinned version if any."""
    tool = basename(server.command).removesuffix(".cmd").removesuffix(".exe")
    args = list(server.args)
    if tool in ("pipx", "pnpm", "yarn", "bun") and args and args[0] in ("run", "dlx", "x"):
        tool = {"pipx": "pipx", "pnpm": "pnpx", "yarn": "npx", "bun": "bunx"}[tool]
        args = args[1:]
    launcher = know.launchers.get(tool)
    if launcher is None:
        return None
    spec = _first_package(args)
    if spec is None:
        return None
    name, version = _split_version(spec, launcher.ecosystem)
    return {"launcher": tool, "ecosystem": launcher.ecosystem, "package": name, "package_version": version,
            "auto_install": any(a in ("-y", "--yes") for a in args)}


def _first_package(args: list[str]) -> str | None:
    """The package a launcher runs: `-p/--package X`, else the first positional
    argument (skipping option values such as `--from SOURCE`)."""
    skip_next = False
    for i, arg in enumerate(args):
        if skip_next:
            skip_next = False
            continue
        if arg in ("-p", "--package") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("-"):
            skip_next = arg in ("--from", "--python", "--registry", "--cache", "--index-url", "--with")
            continue
        return arg
    return None


def _split_version(spec: str, ecosystem: str) -> tuple[str, str | None]:
    if ecosystem == "pypi":
        for sep in ("==", "@"):
            if sep in spec:
                name, version = spec.split(sep, 1)
                return name, version or None
        return spec, None
    at = spec.rfind("@")
    if at > 0:
        version = spec[at + 1:]
        return spec[:at], None if version in ("", "latest", "next") else version
    return spec, None


