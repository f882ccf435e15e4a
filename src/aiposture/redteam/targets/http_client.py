"""The one place targets talk HTTP: an httpx.AsyncClient with pooled connections,
a per-request timeout, and the mapping of transport failures to TargetError
(retryable for timeouts, resets and 429/5xx)."""

from __future__ import annotations

from typing import Any

import httpx

from aiposture.redteam.model import TargetReply
from aiposture.redteam.targets.base import RETRYABLE_STATUS, TargetError


def make_client(
    timeout: float, concurrency: int = 32, headers: dict[str, str] | None = None
) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=max(concurrency, 1), max_keepalive_connections=max(concurrency, 1))
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout), limits=limits, headers=headers or {}, trust_env=False
    )


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: Any,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """Send JSON, return (status, decoded JSON). Raise TargetError with a short reason."""
    try:
        response = await client.request(method, url, json=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise TargetError(f"timeout calling {url}", retryable=True) from exc
    except httpx.HTTPError as exc:
        raise TargetError(f"cannot reach {url}: {exc.__class__.__name__}", retryable=True) from exc
    if response.status_code >= 400:
        blocked = policy_block(response)
        if blocked is not None:
            return response.status_code, blocked
        raise TargetError(
            f"{url} answered HTTP {response.status_code}", retryable=response.status_code in RETRYABLE_STATUS
        )
    try:
        return response.status_code, response.json()
    except ValueError as exc:
        raise TargetError(f"{url} answered non-JSON") from exc


BLOCK_CODES = frozenset({"content_filter", "content_blocked", "response_blocked", "content_policy_violation"})


def policy_block(response: httpx.Response) -> TargetReply | None:
    """A refusal by a guard or gateway in front of the app (OpenAI-style error with a
    content-filter code, as Azure OpenAI and aiposture's gateway send) is an answer,
    not a failure: the attack was stopped."""
    if response.status_code not in (400, 403, 422):
        return None
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict) or error.get("code") not in BLOCK_CODES:
        return None
    message = str(error.get("message") or "")[:300]
    return TargetReply(
        text=f"Request blocked by policy ({error['code']}): {message}",
        blocked=True,
        raw_status=response.status_code,
    )
