"""The gateway's per-request work, independent of routes: authenticate, read the
body within limits, guard every text slot under the app's policy, and write the
audit event. Dependencies (store-backed principals, guard, audit trail, limiter,
HTTP client, metrics) are passed in by `create_app`."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from aiposture.audit.trail import AuditTrail
from aiposture.gateway.auth import Identifier
from aiposture.gateway.config import AppPolicy, GatewayConfig, Policy, PolicyHolder
from aiposture.gateway.decide import Decision, decide, redact_spans
from aiposture.gateway.errors import GatewayError, bad_request, forbidden, unavailable
from aiposture.gateway.limits import Limiter
from aiposture.gateway.messages import INSTRUCTION_ROLES, Slot
from aiposture.gateway.metrics import GatewayMetrics
from aiposture.gateway.pseudonym import Pseudonymizer
from aiposture.gateway.upstream import UpstreamClient
from aiposture.identity.grants import Grants
from aiposture.identity.principals import Principal, Principals
from aiposture.identity.tokens import TokenClaims, Tokens

_LOG_CAP = 32_768  # characters of content kept per logged text


@dataclass
class Context:
    """Everything known about one request, filled in as it goes; becomes the audit event."""

    route: str
    request_id: str
    client_ip: str | None
    started: float = field(default_factory=time.perf_counter)
    upstream_seconds: float = 0.0
    principal: Principal | None = None
    claims: TokenClaims | None = None
    end_user: str | None = None
    app: str | None = None
    model: str | None = None
    upstream: str | None = None
    status: int = 200
    direction: str = "prompt"
    verdict: dict = field(default_factory=dict)
    response_verdict: dict | None = None
    usage: dict = field(default_factory=dict)
    prompt_log: list[str] | None = None
    response_log: list[str] | None = None
    error: str | None = None


SKIP_FOR_INSTRUCTIONS = ("injection",)


class Guarding:
    """Runs the guard on text slots with the app's overrides, caching verdicts of
    repeated texts (conversation history is re-sent every turn)."""

    def __init__(self, guard: Any, cache_size: int = 4096) -> None:
        self.guard = guard
        self._cache: OrderedDict[tuple[str, bytes], Any] = OrderedDict()
        self._size = cache_size

    def verdict(self, text: str, direction: str, skip: tuple[str, ...] = ()):
        key = (direction, skip, hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest())
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        result = self.guard.check(text, direction, skip=skip) if skip else self.guard.check(text, direction)
        self._cache[key] = result
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return result

    def check_slots(
        self,
        policy: Policy,
        app_name: str,
        app: AppPolicy,
        slots: list[Slot],
        pseudonyms: Pseudonymizer | None,
    ) -> list[Decision | None]:
        """One decision per slot (None where empty or skipped by fail-open); raises on a
        block, else writes redacted text back into the slots."""
        decisions: list[Decision | None] = []
        for slot in slots:
            text = slot.text
            if not text:
                decisions.append(None)
                continue
            # the app's own system and developer messages are its instructions, not text
            # that could inject into them: they are scanned for data, not for injection
            skip = SKIP_FOR_INSTRUCTIONS if app.trust_system_prompts and slot.role in INSTRUCTION_ROLES else ()
            try:
                verdict = self.verdict(text, slot.direction, skip)
            except Exception as exc:  # noqa: BLE001 - a guard bug must not pass text unchecked
                if app.fail_open:
                    decisions.append(None)
                    continue
                raise unavailable(
                    f"guard failed ({exc.__class__.__name__}); request refused (fail closed)",
                    "guard_unavailable",
                ) from None
            decisions.append(decide(policy, app_name, app, text, verdict, pseudonyms))
        return decisions


def enforce(slots: list[Slot], decisions: list[Decision | None]) -> None:
    """Raise on the first block; otherwise write redacted text back into the slots."""
    for slot, decision in zip(slots, decisions, strict=True):
        if decision is not None and decision.action == "block":
            raise forbidden(
                f"{slot.direction} blocked by policy {decision.policy}: "
                f"{', '.join(decision.reasons) or 'guard verdict'}",
                "response_blocked" if slot.direction == "response" else "content_blocked",
                policy=decision.policy,
            )
    for slot, decision in zip(slots, decisions, strict=True):
        if decision is not None and decision.action == "redact":
            slot.text = decision.text


def log_content(mode: str, texts: list[str], decisions: list[Decision | None]) -> list[str] | None:
    """Content for the audit log per policy: none, redacted (every detection masked) or full."""
    if mode == "none":
        return None
    out = []
    for text, decision in zip(texts, decisions, strict=False):
        if mode == "redacted" and decision is not None and decision.verdict.detections:
            text = redact_spans(text, decision.verdict.detections, None)
        out.append(text[:_LOG_CAP])
    return out


def merge_verdicts(decisions: list[Decision | None]) -> dict:
    """One audit verdict for many slots: the worst action, all scores and detections."""
    rank = {"allow": 0, "redact": 1, "block": 2}
    out: dict[str, Any] = {
        "action": "allow",
        "risk": 0.0,
        "scores": {},
        "detections": [],
        "policy": None,
        "reason": None,
    }
    for d in decisions:
        if d is None:
            continue
        summary = d.summary()
        if rank[d.action] > rank[out["action"]]:
            out.update(action=d.action, policy=summary["policy"], reason=summary["reason"])
        out["risk"] = max(out["risk"], summary.get("risk") or 0.0)
        for name, score in (summary.get("scores") or {}).items():
            out["scores"][name] = max(score, out["scores"].get(name, 0.0))
        out["detections"].extend(summary.get("detections") or [])
    return out


class Gateway:
    def __init__(
        self,
        config: GatewayConfig,
        principals: Principals,
        guard: Any,
        audit: AuditTrail,
        policy: PolicyHolder,
        limiter: Limiter,
        client: UpstreamClient,
        metrics: GatewayMetrics,
        tokens: Tokens | None = None,
    ) -> None:
        self.config = config
        self.principals = principals
        self.guarding = Guarding(guard)
        self.audit = audit
        self.policy = policy
        self.limiter = limiter
        self.client = client
        self.metrics = metrics
        self.tracer: Any | None = None
        self.tools: Any | None = None  # gateway.tools.ToolGate when an access policy is configured
        self.tokens = tokens
        mcp_audiences = [server.audience for server in config.mcp]
        self.grants = Grants(principals, tokens, audiences=mcp_audiences) if tokens is not None else None
        self.identity = Identifier(principals, tokens, audit)

    # --- who -----------------------------------------------------------------
    def identify(self, request: Request) -> tuple[Principal, TokenClaims | None]:
        """The calling principal and, for an access token, its verified claims (gateway/auth.py)."""
        return self.identity.identify(request, self.principals)

    def authenticate(self, request: Request) -> Principal:
        return self.identify(request)[0]

    # --- what ----------------------------------------------------------------
    async def read_json(self, request: Request) -> dict:
        limit = self.config.limits.max_body_bytes
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            raise _too_large(limit)
        try:
            async with asyncio.timeout(self.config.limits.client_body_timeout_s):  # unlike wait_for, no task
                raw = await _read_limited(request, limit)
        except TimeoutError:
            raise GatewayError(
                408, "request body not received in time", "invalid_request_error", "request_timeout"
            ) from None
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise bad_request("request body is not valid JSON") from None
        except RecursionError:
            raise bad_request("request body is not valid JSON: nested too deeply") from None
        if not isinstance(body, dict):
            raise bad_request("request body must be a JSON object")
        return body

    # --- audit ---------------------------------------------------------------
    def build_record(self, ctx: Context) -> dict:
        data = {
            "route": ctx.route,
            "status": ctx.status,
            "request_id": ctx.request_id,
            "client_ip": ctx.client_ip,
            "upstream": ctx.upstream,
            "usage": ctx.usage,
            "latency_ms": round((time.perf_counter() - ctx.started) * 1000, 3),
            "upstream_ms": round(ctx.upstream_seconds * 1000, 3),
        }
        if ctx.principal is not None:
            data["principal_kind"] = ctx.principal.kind
        if ctx.claims is not None:
            data["token"] = {"jti": ctx.claims.jti, "grant": ctx.claims.grant, "act": ctx.claims.act}
        if ctx.response_verdict is not None:
            data["response_verdict"] = ctx.response_verdict
        if ctx.prompt_log is not None:
            data["prompt"] = ctx.prompt_log
        if ctx.response_log is not None:
            data["response"] = ctx.response_log
        if ctx.error:
            data["error"] = ctx.error
        return {
            "principal": ctx.principal.name if ctx.principal else None,
            "end_user": ctx.end_user,
            "app": ctx.app,
            "model": ctx.model,
            "direction": ctx.direction,
            "verdict": ctx.verdict,
            "data": data,
        }

    async def record(self, ctx: Context, fail_open: bool) -> None:
        """Write the request's audit event; wait until it is durable when configured."""
        future = self.audit.writer.submit(self.build_record(ctx))
        if not self.config.audit.durable:
            return
        try:
            await asyncio.wrap_future(future)
        except Exception:  # noqa: BLE001 - any store failure
            if not fail_open:
                raise unavailable(
                    "audit trail unavailable; request refused (fail closed)", "audit_unavailable"
                ) from None


def _too_large(limit: int) -> GatewayError:
    return GatewayError(413, f"request body exceeds {limit} bytes", "invalid_request_error", "body_too_large")


async def _read_limited(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)
