"""The one place targets talk HTTP: an httpx.AsyncClient with pooled connections,
a per-request timeout, and the mapping of transport failures to TargetError
(retryable for timeouts, resets and 429/5xx)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx

from aiposture.redteam.model import TargetReply
from aiposture.redteam.targets.base import RETRYABLE_STATUS, TargetError

PER_SHARD = 2


class ShardedClient:
    """Several small httpx.AsyncClient pools used round robin. httpcore's pool does
    work linear in its size for every request (it polls each idle connection), so one
    pool of 32 connections serves fewer requests per second than one connection does;
    shards of two keep that cost flat as concurrency grows (benchmarks/redteam_bench.py)."""

    def __init__(self, timeout: float, concurrency: int, headers: dict[str, str]) -> None:
        shards = max(1, min(64, -(-concurrency // PER_SHARD)))
        limits = httpx.Limits(max_connections=PER_SHARD, max_keepalive_connections=PER_SHARD)
        tls = httpx.create_ssl_context()  # one CA bundle load, shared (httpx loads one per client)
        self.clients = [
            httpx.AsyncClient(
                timeout=httpx.Timeout(timeout), limits=limits, headers=headers, trust_env=False, verify=tls
            )
            for _ in range(shards)
        ]
        self._next = itertools.cycle(self.clients)

    def stream(self, method: str, url: str, **kwargs: Any):
        return next(self._next).stream(method, url, **kwargs)

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


def make_client(
    timeout: float, concurrency: int = 32, headers: dict[str, str] | None = None
) -> ShardedClient:
    return ShardedClient(timeout, concurrency, headers or {})


async def post_json(
    client: ShardedClient,
    url: str,
    body: Any,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """Send JSON, return (status, decoded JSON). Raise TargetError with a short reason."""
    try:
        async with client.stream(method, url, json=body, headers=headers) as response:
            status, content = response.status_code, await _read_capped(response, url)
    except httpx.TimeoutException as exc:
        raise TargetError(f"timeout calling {url}", retryable=True) from exc
    except httpx.HTTPError as exc:
        raise TargetError(f"cannot reach {url}: {exc.__class__.__name__}", retryable=True) from exc
    if status >= 400:
        blocked = policy_block(status, content)
        if blocked is not None:
            return status, blocked
        raise TargetError(f"{url} answered HTTP {status}", retryable=status in RETRYABLE_STATUS)
    try:
        return status, json.loads(content)
    except ValueError as exc:
        raise TargetError(f"{url} answered non-JSON") from exc


MAX_REPLY_BYTES = 16 * 1024 * 1024


async def _read_capped(response: httpx.Response, url: str) -> bytes:
    """Read the decoded body, refusing more than MAX_REPLY_BYTES: a hostile or broken
    target (or a compression bomb) must not exhaust memory."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise TargetError(f"{url} sent a reply larger than {MAX_REPLY_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


BLOCK_CODES = frozenset({"content_filter", "content_blocked", "response_blocked", "content_policy_violation"})


def policy_block(status: int, content: bytes) -> TargetReply | None:
    """A refusal by a guard or gateway in front of the app (OpenAI-style error with a
    content-filter code, as Azure OpenAI and aiposture's gateway send) is an answer,
    not a failure: the attack was stopped."""
    if status not in (400, 403, 422):
        return None
    try:
        error = json.loads(content).get("error") or {}
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict) or error.get("code") not in BLOCK_CODES:
        return None
    message = str(error.get("message") or "")[:300]
    return TargetReply(
        text=f"Request blocked by policy ({error['code']}): {message}", blocked=True, raw_status=status
    )
