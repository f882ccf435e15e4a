"""Calling upstream providers through one pooled httpx.AsyncClient.

Each upstream kind knows its URL shape and auth header. Failures become clean
gateway errors: timeouts 504, connection errors and 5xx 502, malformed JSON 502;
4xx answers are passed through, since they describe the caller's request.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from aiposture.gateway.config import Limits, Upstream
from aiposture.gateway.errors import GatewayError, upstream_error

_OPENAI_PATHS = {"chat": "/chat/completions", "completions": "/completions", "embeddings": "/embeddings"}
_AZURE_OPS = {"chat": "chat/completions", "completions": "completions", "embeddings": "embeddings"}


def make_client(limits: Limits) -> httpx.AsyncClient:
    timeout = httpx.Timeout(limits.upstream_timeout_s, connect=limits.connect_timeout_s)
    pool = httpx.Limits(
        max_connections=limits.max_connections, max_keepalive_connections=limits.max_connections
    )
    return httpx.AsyncClient(timeout=timeout, limits=pool, follow_redirects=False)


def build_request(
    up: Upstream, kind: str, model: str, headers_in: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """URL and headers for calling `up` for an operation of `kind`."""
    base = up.base_url.rstrip("/")
    key = up.api_key()
    headers = {"content-type": "application/json"}
    if up.kind == "anthropic":
        if kind != "anthropic":
            raise GatewayError(
                400,
                f"model {model!r} is served by an Anthropic upstream; use /v1/messages",
                "invalid_request_error",
                "unsupported_route",
            )
        headers["anthropic-version"] = headers_in.get("anthropic-version", "2023-06-01")
        if key:
            headers["x-api-key"] = key
        return f"{base}/v1/messages", headers
    if kind == "anthropic":
        raise GatewayError(
            400,
            f"model {model!r} is not served by an Anthropic upstream",
            "invalid_request_error",
            "unsupported_route",
        )
    if up.kind == "azure":
        deployment = up.deployments.get(model, model)
        if key:
            headers["api-key"] = key
        return (
            f"{base}/openai/deployments/{deployment}/{_AZURE_OPS[kind]}?api-version={up.api_version}",
            headers,
        )
    if key:
        headers["authorization"] = f"Bearer {key}"
    return base + _OPENAI_PATHS[kind], headers


def map_transport_error(up: Upstream, exc: httpx.HTTPError) -> GatewayError:
    if isinstance(exc, httpx.TimeoutException):
        return upstream_error(504, f"upstream {up.name!r} timed out", "upstream_timeout")
    return upstream_error(
        502, f"upstream {up.name!r} unreachable: {exc.__class__.__name__}", "upstream_unreachable"
    )


async def post_json(
    client: httpx.AsyncClient, up: Upstream, url: str, headers: dict[str, str], body: dict
) -> tuple[int, Any]:
    """POST and parse JSON; returns (status, parsed body). 4xx bodies come back as-is."""
    try:
        resp = await client.post(url, content=json.dumps(body), headers=headers)
    except httpx.HTTPError as exc:
        raise map_transport_error(up, exc) from None
    return check_response(up, resp.status_code, resp.content)


def check_response(up: Upstream, status: int, content: bytes) -> tuple[int, Any]:
    if status >= 500:
        raise upstream_error(502, f"upstream {up.name!r} failed with HTTP {status}", "upstream_error")
    try:
        parsed = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise upstream_error(
            502, f"upstream {up.name!r} returned malformed JSON", "upstream_bad_response"
        ) from None
    if status < 400 and not isinstance(parsed, dict):
        raise upstream_error(
            502, f"upstream {up.name!r} returned an unexpected body", "upstream_bad_response"
        )
    return status, parsed
