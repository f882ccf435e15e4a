"""Calling upstream providers through one keep-alive pool per worker.

Each upstream kind knows its URL shape and auth header. Failures become clean
gateway errors: timeouts 504, connection errors and 5xx 502, malformed JSON 502;
4xx answers are passed through, since they describe the caller's request.

Requests go through the lean HTTP/1.1 pool of `gateway.upstream_http` (why, with the
measurements, is in its docstring); an upstream that an `HTTP(S)_PROXY` environment
variable applies to goes through httpx, which implements proxies, behind the same
response interface.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx

from aiposture.gateway.config import Limits, Upstream
from aiposture.gateway.errors import GatewayError, upstream_error
from aiposture.gateway.upstream_http import (
    UpstreamHTTPError,
    UpstreamPool,
    UpstreamTimeout,
    UpstreamUnreachable,
    split_url,
)

_OPENAI_PATHS = {"chat": "/chat/completions", "completions": "/completions", "embeddings": "/embeddings"}
_AZURE_OPS = {"chat": "chat/completions", "completions": "completions", "embeddings": "embeddings"}


class UpstreamAnswer(Protocol):
    status: int
    headers: dict[str, str]

    async def read(self) -> bytes: ...
    def iter_lines(self) -> AsyncIterator[str]: ...
    async def aclose(self) -> None: ...


class UpstreamClient:
    """One per worker: the keep-alive pool, and httpx for upstreams behind a proxy."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.pool = UpstreamPool(limits.max_connections, limits.connect_timeout_s, limits.upstream_timeout_s)
        self._httpx: httpx.AsyncClient | None = None
        self._proxied: dict[tuple[str, str, int], bool] = {}

    async def send(self, up: Upstream, url: str, headers: dict[str, str], body: bytes) -> UpstreamAnswer:
        """POST `body`; returns once status and headers are in. Transport failures are
        raised as GatewayError (504/502); the caller reads the body, then `aclose()`s."""
        key = split_url(url)[0]
        proxied = self._proxied.get(key)
        if proxied is None:
            proxied = self._proxied[key] = _proxy_applies(key[0], key[1])
        try:
            if proxied:
                return await self._send_httpx(url, headers, body)
            return await self.pool.request("POST", url, headers, body)
        except UpstreamHTTPError as exc:
            raise map_transport_error(up, exc) from None

    async def _send_httpx(self, url: str, headers: dict[str, str], body: bytes) -> UpstreamAnswer:
        if self._httpx is None:
            timeout = httpx.Timeout(self.limits.upstream_timeout_s, connect=self.limits.connect_timeout_s)
            pool = httpx.Limits(
                max_connections=self.limits.max_connections,
                max_keepalive_connections=self.limits.max_connections,
            )
            self._httpx = httpx.AsyncClient(timeout=timeout, limits=pool, follow_redirects=False)
        try:
            resp = await self._httpx.send(
                self._httpx.build_request("POST", url, content=body, headers=headers), stream=True
            )
        except httpx.HTTPError as exc:
            raise _from_httpx(exc) from None
        return _HttpxAnswer(resp)

    async def aclose(self) -> None:
        await self.pool.aclose()
        if self._httpx is not None:
            await self._httpx.aclose()


def make_client(limits: Limits) -> UpstreamClient:
    return UpstreamClient(limits)


def _proxy_applies(scheme: str, host: str) -> bool:
    """Would httpx (trust_env) send this origin through a proxy from the environment?"""
    proxies = urllib.request.getproxies()
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(host)


def _from_httpx(exc: httpx.HTTPError) -> UpstreamHTTPError:
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout(exc.__class__.__name__)
    return UpstreamUnreachable(exc.__class__.__name__)


class _HttpxAnswer:
    """An httpx streaming response behind the pool's response interface."""

    def __init__(self, resp: httpx.Response) -> None:
        self._resp = resp
        self.status = resp.status_code
        self.headers = {k.lower(): v for k, v in resp.headers.items()}

    async def read(self) -> bytes:
        try:
            return await self._resp.aread()
        except httpx.HTTPError as exc:
            raise _from_httpx(exc) from None

    async def iter_lines(self) -> AsyncIterator[str]:
        try:
            async for line in self._resp.aiter_lines():
                yield line
        except httpx.HTTPError as exc:
            raise _from_httpx(exc) from None

    async def aclose(self) -> None:
        await self._resp.aclose()


def build_request(up: Upstream, kind: str, model: str, headers_in: dict[str, str]) -> tuple[str, dict[str, str]]:
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


def map_transport_error(up: Upstream, exc: UpstreamHTTPError) -> GatewayError:
    if isinstance(exc, UpstreamTimeout):
        return upstream_error(504, f"upstream {up.name!r} timed out", "upstream_timeout")
    return upstream_error(502, f"upstream {up.name!r} unreachable: {exc}", "upstream_unreachable")


async def post_json(
    client: UpstreamClient, up: Upstream, url: str, headers: dict[str, str], body: dict
) -> tuple[int, Any]:
    """POST and parse JSON; returns (status, parsed body). 4xx bodies come back as-is."""
    resp = await client.send(up, url, headers, json.dumps(body).encode())
    try:
        content = await resp.read()
    except UpstreamHTTPError as exc:
        raise map_transport_error(up, exc) from None
    finally:
        await resp.aclose()
    return check_response(up, resp.status, content)


def check_response(up: Upstream, status: int, content: bytes) -> tuple[int, Any]:
    if status >= 500:
        raise upstream_error(502, f"upstream {up.name!r} failed with HTTP {status}", "upstream_error")
    try:
        parsed = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise upstream_error(502, f"upstream {up.name!r} returned malformed JSON", "upstream_bad_response") from None
    if status < 400 and not isinstance(parsed, dict):
        raise upstream_error(502, f"upstream {up.name!r} returned an unexpected body", "upstream_bad_response")
    return status, parsed
