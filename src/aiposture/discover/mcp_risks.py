"""What is risky about one MCP server entry: secrets written into it, remote servers
without auth or over plain HTTP, packages fetched unpinned, filesystem access to the
whole machine, shell launches. Also the small URL/placeholder helpers the reader
(`mcp.py`) shares, so that masking and detection agree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import re2

from aiposture.discover.agent_knowledge import AgentKnowledge
from aiposture.model import mask_secret

if TYPE_CHECKING:  # the reader imports this module; the type is only needed for hints
    from aiposture.discover.mcp import McpServer

_PLACEHOLDER = re2.compile(
    r"(?i)^(\$\{?[a-z_][a-z0-9_:.\-]*\}?|<[^>]*>|%[a-z_]+%|\{\{.*\}\}|.*(your|placeholder|changeme|xxxx|example|replace).*)$"
)
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal"})
_AUTH_HEADERS = ("authorization", "api-key", "apikey", "x-api-key", "token", "cookie")


def sanitize_url(url: str) -> str:
    """Drop user info and query values, which often carry tokens."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_secret(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if _safe_port(parts) else "")
    query = "&".join(f"{p.split('=', 1)[0]}=***" for p in parts.query.split("&") if p) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _safe_port(parts: Any) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


def is_placeholder(value: str) -> bool:
    return not value.strip() or bool(_PLACEHOLDER.match(value.strip()))


def split_url(url: str) -> Any:
    """urlsplit that never raises (a malformed URL is treated as empty)."""
    try:
        return urlsplit(url)
    except ValueError:
        return urlsplit("")


def basename(command: str) -> str:
    return command.replace("\\", "/").rsplit("/", 1)[-1].lower()


def is_loopback(url: str) -> bool:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return host in _LOOPBACK or host.endswith(".localhost")


def secret_types(value: str) -> list[str]:
    """Secret types the shared detector sees in a value (none if it is not installed)."""
    if len(value) < 8 or len(value) > 4096:
        return []
    try:
        from aiposture.detect.secrets import find_secrets
    except ImportError:  # the detector is optional for this reader
        return []
    return [d.type for d in find_secrets(value) if d.score >= 0.5]


Risk = tuple[str, str, str]  # (rule id, evidence, discriminator)


def risks(server: McpServer, know: AgentKnowledge, package: dict[str, Any] | None) -> list[Risk]:
    """(rule, evidence, discriminator) for every risk of one server; `package` is what
    its launcher fetches (see `mcp.launched_package`)."""
    risks = list(_secret_risks(server, know))
    if package is not None and package["package_version"] is None and package["package"] != "mcp-remote":
        how = f"{package['launcher']} {'-y ' if package['auto_install'] else ''}{package['package']}"
        risks.append(("AIP-MCP-004", f"runs {how} with no pinned version", "unpinned"))
    risks.extend(_filesystem_risks(server, know))
    shell = basename(server.command)
    if shell in know.shells and any(a in know.shell_flags for a in server.args):
        risks.append(("AIP-MCP-006", f"launched through `{shell}` with a command string", "shell"))
    if server.url and not is_loopback(server.url):
        if server.url.lower().startswith("http://"):
            where = sanitize_url(server.url)
            risks.append(("AIP-MCP-003", f"remote server at {where} over plain HTTP", "http"))
        if not _has_auth(server, know):
            risks.append(("AIP-MCP-002", f"remote server at {sanitize_url(server.url)} has no Authorization "
                          "header, API key or OAuth setting configured", "noauth"))
    return risks


def _has_auth(server: McpServer, know: AgentKnowledge) -> bool:
    if any(h.lower() in _AUTH_HEADERS or know.secret_name(h) for h in server.headers):
        return True
    if any(k in server.config for k in ("oauth", "auth", "authorization_token", "authProviderType")):
        return True
    return any(know.secret_name(k) for k in server.env) or "@" in split_url(server.url).netloc


def _secret_risks(server: McpServer, know: AgentKnowledge) -> list[tuple[str, str, str]]:
    risks = []
    places: list[tuple[str, str, Any]] = [("env", k, v) for k, v in server.env.items()]
    places += [("header", k, v) for k, v in server.headers.items()]
    for where, key, value in places:
        if not isinstance(value, str) or is_placeholder(value):
            continue
        scheme = value.lower().startswith(("bearer ", "basic ", "token "))
        secret = value.split(" ", 1)[1] if scheme else value
        types = secret_types(secret)
        if types or (know.secret_name(key) and len(secret) >= 8 and not is_placeholder(secret)):
            label = types[0] if types else "credential-like value"
            evidence = f"{where} {key} holds {label} {mask_secret(secret)}"
            risks.append(("AIP-MCP-001", evidence, f"{where}:{key}"))
    for i, arg in enumerate(server.args):
        flag, eq, value = arg.partition("=")
        prev = server.args[i - 1] if i else ""
        if eq and know.secret_name(flag) and not is_placeholder(value):
            risks.append(("AIP-MCP-001", f"argument {flag} holds {mask_secret(value)}", f"arg:{i}"))
        elif prev.startswith("-") and "=" not in prev and know.secret_name(prev) and not is_placeholder(arg):
            risks.append(("AIP-MCP-001", f"argument {prev} holds {mask_secret(arg)}", f"arg:{i}"))
        elif types := secret_types(arg):
            risks.append(("AIP-MCP-001", f"argument {i} holds {types[0]} {mask_secret(arg)}", f"arg:{i}"))
    if server.url:
        parts = split_url(server.url)
        if parts.password or any(know.secret_name(p.split("=", 1)[0]) for p in parts.query.split("&") if p):
            risks.append(("AIP-MCP-001", f"URL {sanitize_url(server.url)} carries a credential", "url"))
    return risks


def _filesystem_risks(server: McpServer, know: AgentKnowledge) -> list[tuple[str, str, str]]:
    joined = " ".join([server.command, *server.args]).lower()
    roots = set(know.broad_roots)
    if any(fs.lower() in joined for fs in know.filesystem_servers):
        broad = [a for a in server.args if a.rstrip("/\\") in roots or a in roots]
        if broad:
            return [("AIP-MCP-005", f"filesystem server rooted at {', '.join(broad)}", "fs-root")]
    for i, arg in enumerate(server.args):  # docker -v /:/host, --mount src=/
        if arg in ("-v", "--volume", "--mount") and i + 1 < len(server.args):
            host = _mount_source(server.args[i + 1])
            if host.rstrip("/") in roots or host in roots:
                return [("AIP-MCP-005", f"container mounts host path {host}", "fs-mount")]
    return []


def _mount_source(spec: str) -> str:
    """The host side of `-v host:container` or `--mount type=bind,source=host,...`."""
    if "=" in spec:
        fields = dict(part.partition("=")[::2] for part in spec.split(","))
        return fields.get("source") or fields.get("src") or ""
    return spec.split(":", 1)[0]
