"""Webhook notifications of approvals: a POST of JSON when an approval is requested
(to the configured URL) and when it is decided (to the request's `callback_url`, and
to the configured URL too).

Receivers verify the body with the shared secret: the header
`X-AIPosture-Signature: sha256=<hex>` is HMAC-SHA256 over `"<timestamp>.<body>"`,
with the timestamp in `X-AIPosture-Timestamp` (unix seconds), so a captured
notification cannot be replayed later (`verify_signature` checks both). Delivery is
best effort: a short timeout, failures logged, never raised.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any
from urllib.parse import urlparse

import httpx

from aiposture.errors import InputError
from aiposture.identity.cedar_catalog import globs_match

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-AIPosture-Signature"
TIMESTAMP_HEADER = "X-AIPosture-Timestamp"
EVENT_HEADER = "X-AIPosture-Event"
MAX_URL_CHARS = 2048


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, body: bytes, timestamp: str, signature: str, *, tolerance_s: int = 300,
                     now: float | None = None) -> bool:
    """For receivers: the signature matches and the timestamp is recent."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - stamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature or "")


def check_callback_url(
    url: str | None, allowed_hosts: list[str] | None = None, what: str = "callback_url"
) -> str | None:
    """An http(s) URL of bounded length, on an allowed host when a list is configured;
    `what` names it in the error (the webhook URL is checked here too)."""
    if url is None:
        return None
    parsed = urlparse(url) if isinstance(url, str) and len(url) <= MAX_URL_CHARS else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError(f"{what} must be an http(s) URL of at most 2048 characters")
    if allowed_hosts is not None and not globs_match(tuple(allowed_hosts), parsed.hostname):
        raise InputError(f"callback_url host {parsed.hostname!r} is not an allowed callback host")
    return url


class WebhookNotifier:
    def __init__(self, url: str | None = None, secret: str | None = None, *, timeout_s: float = 2.0,
                 callback_hosts: list[str] | None = None, client: httpx.Client | None = None) -> None:
        # the URL is never echoed: a hook URL may carry a secret
        self.url = check_callback_url(url, what="the webhook URL") if url else None
        self.secret = secret
        self.timeout_s = timeout_s
        self.callback_hosts = callback_hosts
        self._client = client

    def requested(self, approval: Any) -> list[bool]:
        return [self._post(self.url, "approval.requested", approval)] if self.url else []

    def decided(self, approval: Any) -> list[bool]:
        targets = [u for u in (approval.callback_url, self.url) if u]
        return [self._post(u, f"approval.{approval.status}", approval) for u in dict.fromkeys(targets)]

    def _post(self, url: str, event: str, approval: Any) -> bool:
        body = json.dumps({"event": event, "approval": approval.model_dump(mode="json")},
                          separators=(",", ":"), sort_keys=True).encode("utf-8")
        stamp = int(time.time())
        headers = {"Content-Type": "application/json", EVENT_HEADER: event, TIMESTAMP_HEADER: str(stamp)}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, stamp, body)
        try:
            client = self._client or httpx.Client(timeout=self.timeout_s, follow_redirects=False)
            try:
                response = client.post(url, content=body, headers=headers, timeout=self.timeout_s)
            finally:
                if self._client is None:
                    client.close()
            if response.status_code >= 300:
                log.warning("webhook %s to %s answered %s", event, _host(url), response.status_code)
                return False
            return True
        except httpx.HTTPError as exc:
            log.warning("webhook %s to %s failed: %s", event, _host(url), exc.__class__.__name__)
            return False


def _host(url: str) -> str:
    return urlparse(url).netloc or "?"
