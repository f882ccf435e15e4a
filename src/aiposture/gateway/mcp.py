"""MCP servers behind the gateway: `POST /mcp/{name}` forwards JSON-RPC 2.0 to the
server configured under `mcp:`, after the MCP authorization spec's checks.

- The caller sends an OAuth 2.1 bearer token from the gateway's token service whose
  audience is that server's `audience`; without one, or with an expired, revoked or
  wrong-audience token, the answer is 401 with `WWW-Authenticate: Bearer
  resource_metadata=...` pointing at `/.well-known/oauth-protected-resource/mcp/{name}`
  (RFC 9728), so a client can find the authorization server. The token is never
  passed on to the MCP server (no token passthrough).
- `tools/call` is decided by the access policies, the tool named `<server>/<tool>`:
  denied -> JSON-RPC error -32001 with the reasons; high-risk -> error -32002
  "approval pending" with the approval id and poll URL. The retry that carries the
  approved id in `params._meta["aiposture/approval"]` is forwarded exactly once: the
  approval is consumed for this principal, tool and arguments.
- `tools/list` answers (JSON) list only tools the principal may call (allowed or
  with approval). Other methods pass through; an event-stream answer is relayed as is.
"""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from aiposture.gateway.config import McpServer
from aiposture.gateway.errors import GatewayError
from aiposture.gateway.service import Gateway
from aiposture.gateway.toolcalls_outcome import ProposedCall
from aiposture.gateway.tools import Caller, committed
from aiposture.identity.tokens import TokenError, mask_token

APPROVAL_META = "aiposture/approval"
MAX_ANSWER_BYTES = 8 * 1024 * 1024  # an MCP answer the gateway reads whole (JSON, or tools/list)
DENIED, PENDING = -32001, -32002
_FORWARD_HEADERS = ("accept", "mcp-session-id", "mcp-protocol-version", "last-event-id")
_BACK_HEADERS = ("mcp-session-id", "mcp-protocol-version")


def _rpc_error(rpc_id: Any, code: int, message: str, data: Any = None, status: int = 200) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return JSONResponse({"jsonrpc": "2.0", "id": rpc_id, "error": error}, status_code=status)


class McpProxy:
    def __init__(self, gw: Gateway, servers: list[McpServer], client: httpx.AsyncClient | None = None) -> None:
        self.gw = gw
        self.servers = {s.name: s for s in servers}
        limits = gw.config.limits
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(limits.upstream_timeout_s, connect=limits.connect_timeout_s)
        )

    def routes(self) -> list[Route]:
        return [
            Route("/mcp/{name}", self.endpoint, methods=["POST"]),
            Route("/mcp/{name}", self.not_posted, methods=["GET", "DELETE"]),
            Route("/.well-known/oauth-protected-resource/mcp/{name}", self.metadata, methods=["GET"]),
        ]

    async def aclose(self) -> None:
        await self.client.aclose()

    # --- RFC 9728 ------------------------------------------------------------------
    def _base(self, request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def _metadata_url(self, request: Request, name: str) -> str:
        return f"{self._base(request)}/.well-known/oauth-protected-resource/mcp/{name}"

    async def metadata(self, request: Request) -> Response:
        server = self.servers.get(request.path_params["name"])
        if server is None:
            return JSONResponse({"error": "unknown MCP server"}, status_code=404)
        tokens = self.gw.tokens
        # clients fetch <server>/.well-known/oauth-authorization-server: the issuer when it
        # is a URL (set tokens.issuer to the gateway's public URL), else this gateway
        issuer = tokens.issuer if tokens is not None else ""
        servers = [issuer if issuer.startswith(("https://", "http://")) else self._base(request)] if tokens else []
        return JSONResponse(
            {
                "resource": f"{self._base(request)}/mcp/{server.name}",
                "authorization_servers": servers,
                "bearer_methods_supported": ["header"],
                "resource_name": f"{server.name} (MCP server behind aiposture)",
                "aiposture_audience": server.audience,
            }
        )

    async def not_posted(self, _request: Request) -> Response:
        return JSONResponse(
            {"error": "this MCP endpoint takes JSON-RPC over POST only"}, status_code=405, headers={"allow": "POST"}
        )

    # --- who ---------------------------------------------------------------------
    async def _unauthorized(self, request: Request, server: McpServer, reason: str, description: str) -> Response:
        challenge = f'Bearer resource_metadata="{self._metadata_url(request, server.name)}"'
        if reason != "missing":
            challenge += f', error="invalid_token", error_description="{description.replace(chr(34), chr(39))}"'
        future = self.gw.audit.writer.submit(
            {
                "principal": None,
                "direction": "token",
                "verdict": {"action": "block", "policy": "mcp-authorization", "reason": f"{reason}: {description}"},
                "data": {
                    "route": f"/mcp/{server.name}",
                    "reason": reason,
                    "client_ip": request.client.host if request.client else None,
                    "token": mask_token(_bearer(request)),
                },
            }
        )
        await committed([future], self.gw.config.audit.durable)  # on record before the client hears
        return JSONResponse(
            {"error": "invalid_token" if reason != "missing" else "unauthorized", "error_description": description},
            status_code=401,
            headers={"www-authenticate": challenge},
        )

    async def _identify(self, request: Request, server: McpServer):
        """(principal, claims) or a 401 response."""
        token = _bearer(request)
        if not token:
            return await self._unauthorized(request, server, "missing", "a bearer token is required")
        if self.gw.tokens is None:
            return await self._unauthorized(request, server, "no_token_service", "the gateway issues no tokens")
        try:
            claims = self.gw.tokens.verify(token, audience=server.audience)
        except TokenError as err:
            return await self._unauthorized(request, server, err.reason, str(err))
        principal = self.gw.principals.get(claims.client)
        problem = principal.status_reason() if principal is not None else f"unknown principal {claims.client!r}"
        if problem:
            return await self._unauthorized(request, server, "inactive_principal", problem)
        return principal, claims

    # --- the endpoint ------------------------------------------------------------
    async def endpoint(self, request: Request) -> Response:
        server = self.servers.get(request.path_params["name"])
        if server is None:
            return JSONResponse({"error": "unknown MCP server"}, status_code=404)
        who = await self._identify(request, server)
        if isinstance(who, Response):
            return who
        principal, claims = who
        try:
            body = await self.gw.read_json(request)
        except GatewayError as err:  # not JSON: parse error; JSON but no object (a batch): invalid request
            code = -32700 if err.status == 400 and "not valid JSON" in err.message else -32600
            return _rpc_error(None, code, err.message, status=err.status)
        rpc_id = body.get("id")
        if body.get("jsonrpc") != "2.0" or not isinstance(body.get("method"), str):
            return _rpc_error(rpc_id, -32600, "not a JSON-RPC 2.0 request (one object with 'jsonrpc' and 'method')")
        gate = self.gw.tools
        caller = None
        if gate is not None:
            caller = gate.caller(
                principal,
                request_id=f"mcp-{time.time_ns():x}",
                headers=request.headers,
                claims=claims,
                client_ip=request.client.host if request.client else None,
                base_url=self._base(request),
            )
            caller.app = server.name
            if body["method"] == "tools/call":
                refused = self._authorize_call(gate, caller, server, body)
                if not await committed(caller.audits, self.gw.config.audit.durable) and refused is None:
                    return _rpc_error(rpc_id, -32603, "audit trail unavailable; tool call refused (fail closed)")
                if refused is not None:
                    return refused
        return await self._forward(request, server, body, caller if body["method"] == "tools/list" else None)

    def _authorize_call(self, gate, caller: Caller, server: McpServer, body: dict) -> Response | None:
        params = body.get("params")
        rpc_id = body.get("id")
        if not isinstance(params, dict):
            return _rpc_error(rpc_id, -32602, "tools/call needs params with 'name' and 'arguments'")
        meta = params.get("_meta") if isinstance(params.get("_meta"), dict) else {}
        approval_id = meta.pop(APPROVAL_META, None)
        call = ProposedCall(params.get("name"), params.get("arguments"), str(rpc_id), "mcp")
        outcome = gate.authorize(caller, call, server=server.name, approval_id=approval_id)
        if outcome.status == "allowed":
            return None
        entry = {"aiposture": outcome.entry()}
        if outcome.status == "pending":
            return _rpc_error(
                rpc_id,
                PENDING,
                f"approval pending, id {outcome.approval_id}: retry with params._meta"
                f'["{APPROVAL_META}"] = "{outcome.approval_id}" once it is approved ({outcome.poll_url})',
                entry,
            )
        return _rpc_error(rpc_id, DENIED, f"tool call denied: {'; '.join(outcome.reasons)}", entry)

    # --- forwarding --------------------------------------------------------------
    async def _forward(self, request: Request, server: McpServer, body: dict, lister: Caller | None) -> Response:
        headers = {k: request.headers[k] for k in _FORWARD_HEADERS if k in request.headers}
        headers.setdefault("accept", "application/json, text/event-stream")
        headers["content-type"] = "application/json"
        key = server.api_key()
        if key:
            headers["authorization"] = f"Bearer {key}"
        upstream = self.client.build_request("POST", server.url, content=json.dumps(body), headers=headers)
        try:
            resp = await self.client.send(upstream, stream=True)
        except httpx.HTTPError as exc:
            return _rpc_error(
                body.get("id"), -32603, f"MCP server {server.name!r} unreachable ({type(exc).__name__})", status=502
            )
        back = {k: resp.headers[k] for k in _BACK_HEADERS if k in resp.headers}
        ctype = resp.headers.get("content-type", "application/json")
        events = ctype.startswith("text/event-stream")
        if events and lister is None:
            return StreamingResponse(_relay(resp), status_code=resp.status_code, media_type=ctype, headers=back)
        try:
            content = await _read_bounded(resp, MAX_ANSWER_BYTES)
        except (httpx.HTTPError, ValueError) as exc:
            why = str(exc) if isinstance(exc, ValueError) else type(exc).__name__
            return _rpc_error(body.get("id"), -32603, f"MCP server {server.name!r} broke ({why})", status=502)
        if lister is not None and resp.status_code == 200:
            rewrite = partial(self._filter_list, lister, server)
            content = _rewrite_events(content, rewrite) if events else rewrite(content)
        return Response(content, status_code=resp.status_code, media_type=ctype.split(";")[0], headers=back)

    def _filter_list(self, caller: Caller, server: McpServer, content: bytes) -> bytes:
        try:
            answer = json.loads(content)
        except ValueError:
            return content
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
            return content
        gate = self.gw.tools
        kept = [t for t in result["tools"] if isinstance(t, dict) and gate.may_call(caller, t.get("name"), server.name)]
        hidden = len(result["tools"]) - len(kept)
        if not hidden:
            return content
        result["tools"] = kept
        return json.dumps(answer).encode()


async def _read_bounded(resp: httpx.Response, limit: int) -> bytes:
    chunks, size = [], 0
    try:
        async for chunk in resp.aiter_raw():
            size += len(chunk)
            if size > limit:
                raise ValueError(f"answer larger than {limit} bytes")
            chunks.append(chunk)
    finally:
        await resp.aclose()
    return b"".join(chunks)


def _rewrite_events(content: bytes, rewrite) -> bytes:
    """Apply `rewrite` to the data of each server-sent event (a tools/list answer that
    came as an event stream)."""
    out = []
    for block in content.replace(b"\r\n", b"\n").split(b"\n\n"):
        if not block.strip():
            continue
        lines = block.split(b"\n")
        data = b"\n".join(line[5:].lstrip() for line in lines if line.startswith(b"data:"))
        new = rewrite(data) if data else data
        if new is not data:
            lines = [line for line in lines if not line.startswith(b"data:")] + [b"data: " + new]
        out.append(b"\n".join(lines))
    return b"\n\n".join(out) + b"\n\n"


async def _relay(resp: httpx.Response):
    try:
        async for chunk in resp.aiter_raw():
            yield chunk
    except httpx.HTTPError:
        return
    finally:
        await resp.aclose()


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() or None if auth[:7].lower() == "bearer " else None
