"""A small MCP-like server for the tests: JSON-RPC 2.0 over streamable HTTP (Starlette),
with a knowledge-base tool set. It records every request and the headers it got, and
answers `tools/call` of `stream_report` (and `tools/list` with cursor "as-events") as an
event stream."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

TOOLS = [
    {"name": "search_pages", "description": "Search the wiki", "inputSchema": {"type": "object"}},
    {"name": "publish_page", "description": "Publish a page to the public site", "inputSchema": {"type": "object"}},
    {"name": "delete_space", "description": "Delete a whole space", "inputSchema": {"type": "object"}},
    {"name": "stream_report", "description": "A long report, streamed", "inputSchema": {"type": "object"}},
]


class McpServer:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.app = Starlette(routes=[Route("/mcp", self.endpoint, methods=["POST"])])

    def calls(self, tool: str) -> list[dict]:
        return [r for r in self.requests if r.get("method") == "tools/call" and r["params"]["name"] == tool]

    async def endpoint(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        session = {"mcp-session-id": "sess-1"}
        if "id" not in body:  # a notification
            return Response(status_code=202, headers=session)
        method, params = body["method"], body.get("params") or {}
        if method == "initialize":
            result = {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}}, "serverInfo": {"name": "kb"}}
        elif method == "tools/list" and params.get("cursor") == "as-events":  # as SDK servers answer by default
            answer = {"jsonrpc": "2.0", "id": body["id"], "result": {"tools": TOOLS}}
            return StreamingResponse(_events(answer), media_type="text/event-stream", headers=session)
        elif method == "tools/list":
            result = {"tools": TOOLS}
        elif method == "tools/call" and params.get("name") == "stream_report":
            answer = {"jsonrpc": "2.0", "id": body["id"], "result": {"content": [{"type": "text", "text": "report"}]}}
            return StreamingResponse(_events(answer), media_type="text/event-stream", headers=session)
        elif method == "tools/call":
            text = f"{params['name']} ran with {json.dumps(params.get('arguments'), sort_keys=True)}"
            result = {"content": [{"type": "text", "text": text}], "isError": False}
        else:
            return JSONResponse({"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32601, "message": "no"}})
        return JSONResponse({"jsonrpc": "2.0", "id": body["id"], "result": result}, headers=session)


async def _events(answer: dict):
    yield b'event: message\ndata: {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progress": 1}}\n\n'
    yield f"event: message\ndata: {json.dumps(answer)}\n\n".encode()
