"""Request handling shared by every model route: who, what, may they, guard, forward,
guard the answer, restore pseudonyms, count, audit. Routes differ only in the
dialect (`kind`) that says where text lives."""

from __future__ import annotations

import itertools
import os
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aiposture.gateway.auth import model_refusal
from aiposture.gateway.config import AppPolicy, Policy, Upstream
from aiposture.gateway.decide import crosses_boundary
from aiposture.gateway.errors import GatewayError, bad_request, forbidden, unavailable
from aiposture.gateway.limits import estimate_tokens
from aiposture.gateway.messages import REQUEST_SLOTS, response_slots, usage_of
from aiposture.gateway.pseudonym import Pseudonymizer
from aiposture.gateway.service import Context, Gateway, enforce, log_content, merge_verdicts
from aiposture.gateway.streaming import open_stream
from aiposture.gateway.telemetry import record_span
from aiposture.gateway.toolcalls_answer import gate_answer, gate_request
from aiposture.gateway.upstream import build_request, post_json

# request ids: a random per-process prefix and a counter (unique without a syscall per request)
_ID_PREFIX = os.urandom(10).hex()
_IDS = itertools.count(1)


def _context(request: Request, route: str) -> Context:
    return Context(
        route=route,
        request_id=f"{_ID_PREFIX}{next(_IDS):012x}",
        client_ip=request.client.host if request.client else None,
    )


async def handle(
    gw: Gateway,
    request: Request,
    kind: str,
    route: str,
    dialect: str = "openai",
    path_model: str | None = None,
) -> Response:
    ctx = _context(request, route)
    started_ns = time.time_ns()
    app_policy = AppPolicy()
    try:
        ctx.principal, ctx.claims = gw.identify(request)
        ctx.end_user = request.headers.get(gw.config.end_user_header) or None
        if ctx.claims is not None and ctx.claims.delegated:
            ctx.end_user = ctx.claims.sub  # the user a delegated token names; no header overrides it
        body = await gw.read_json(request)
        policy = gw.policy.policy
        ctx.app = ctx.principal.app_name
        app_policy = policy.for_app(ctx.app)
        return await _forward(gw, request, ctx, policy, app_policy, body, kind, dialect, path_model)
    except GatewayError as err:
        return await _refuse(gw, ctx, err, dialect)
    finally:
        elapsed = time.perf_counter() - ctx.started
        gw.metrics.requests.labels(route, str(ctx.status)).inc()
        gw.metrics.latency.labels(route).observe(elapsed)
        gw.metrics.overhead.labels(route).observe(max(0.0, elapsed - ctx.upstream_seconds))
        record_span(gw.tracer, kind, ctx, started_ns, time.time_ns())


async def _forward(
    gw: Gateway,
    request: Request,
    ctx: Context,
    policy: Policy,
    app_policy: AppPolicy,
    body: dict,
    kind: str,
    dialect: str,
    path_model: str | None,
) -> Response:
    upstream = _resolve_model(gw, ctx, policy, body, path_model)
    url, headers = build_request(upstream, kind, ctx.model, request.headers)
    if path_model and kind != "anthropic":
        body["model"] = ctx.model
    pseudonyms = await _guard_request(gw, ctx, policy, app_policy, body, kind, upstream)
    caller = gate_request(gw, request, ctx, policy)  # access policy: the model, then tool calls
    if body.get("stream") is True:
        return await open_stream(
            gw, ctx, upstream, url, headers, body, kind, dialect, policy, app_policy, pseudonyms, tools=caller
        )
    started = time.perf_counter()
    try:
        status, answer = await post_json(gw.client, upstream, url, headers, body)
    finally:
        ctx.upstream_seconds = time.perf_counter() - started
    ctx.status = status
    if status < 400:
        _guard_answer(gw, ctx, policy, app_policy, kind, answer, pseudonyms)
        if caller is not None:
            gate_answer(gw.tools, caller, kind, answer)
        ctx.usage = usage_of(kind, answer)
        await _count_tokens(gw, policy, ctx)
    await gw.record(ctx, app_policy.fail_open)
    return JSONResponse(answer, status_code=status)


def _resolve_model(gw: Gateway, ctx: Context, policy: Policy, body: dict, path_model: str | None) -> Upstream:
    """Which model, may this principal use it, and which upstream serves it."""
    model = path_model or body.get("model")
    if not isinstance(model, str) or not model:
        raise bad_request("'model' is required", "model")
    ctx.model = model
    if not ctx.end_user and isinstance(body.get("user"), str):
        ctx.end_user = body["user"][:256]
    principal = ctx.principal.name
    if not policy.model_allowed(principal, model):
        raise forbidden(
            f"model {model!r} is not approved for principal {principal!r} by policy {policy.id}",
            "model_not_allowed",
            policy=f"{policy.id}/principals",
            param="model",
        )
    refusal = model_refusal(ctx.principal, ctx.claims, model)
    if refusal is not None:
        raise refusal
    upstream = gw.config.upstream_for(model)
    if upstream is None:
        raise GatewayError(
            404,
            f"model {model!r} is not served by any upstream",
            "invalid_request_error",
            "model_not_found",
            "model",
        )
    if not policy.registry_allows(model, upstream):
        raise forbidden(
            f"model {model!r} is not in the approved-model registry of policy {policy.id}",
            "model_not_approved",
            policy=f"{policy.id}/approved_registry",
            param="model",
        )
    ctx.upstream = upstream.name
    return upstream


async def _guard_request(
    gw: Gateway,
    ctx: Context,
    policy: Policy,
    app_policy: AppPolicy,
    body: dict,
    kind: str,
    upstream: Upstream,
) -> Pseudonymizer | None:
    """Limits, the guard on every text slot (redacting in place), the data boundary."""
    slots = REQUEST_SLOTS[kind](body)
    originals = [s.text for s in slots]
    await _check_limits(gw, policy, app_policy, ctx.principal.name, originals)
    pseudonyms = Pseudonymizer() if app_policy.pseudonymize else None
    decisions = gw.guarding.check_slots(policy, ctx.app, app_policy, slots, pseudonyms)
    ctx.verdict = merge_verdicts(decisions)
    ctx.prompt_log = log_content(app_policy.content_logging, originals, decisions)
    enforce(slots, decisions)
    remaining = [det for d in decisions if d for det in d.remaining]
    level = crosses_boundary(policy, app_policy, remaining, upstream.external)
    if level:
        raise forbidden(
            f"data boundary of policy {policy.id}: app {ctx.app!r} may not send {level} data "
            f"to external upstream {upstream.name!r}",
            "data_boundary",
            policy=f"{policy.id}/apps/{ctx.app}/boundary",
        )
    return pseudonyms


def _guard_answer(
    gw: Gateway,
    ctx: Context,
    policy: Policy,
    app_policy: AppPolicy,
    kind: str,
    answer: dict,
    pseudonyms: Pseudonymizer | None,
) -> None:
    if kind == "embeddings":
        return
    slots = response_slots(kind, answer)
    texts = [s.text for s in slots]
    if app_policy.check_responses:
        decisions = gw.guarding.check_slots(policy, ctx.app, app_policy, slots, None)
        ctx.response_verdict = merge_verdicts(decisions)
        ctx.response_log = log_content(app_policy.content_logging, texts, decisions)
        if ctx.response_verdict["action"] == "block":
            ctx.direction, ctx.verdict = "response", ctx.response_verdict
        enforce(slots, decisions)
    else:
        ctx.response_log = log_content(app_policy.content_logging, texts, [None] * len(texts))
    if pseudonyms:
        for slot in slots:
            slot.text = pseudonyms.restore(slot.text)


async def _check_limits(
    gw: Gateway, policy: Policy, app_policy: AppPolicy, principal: str, texts: list[str]
) -> None:
    rules = policy.for_principal(principal)
    checks = []
    if rules.requests_per_minute:
        checks.append((f"req:{principal}", rules.requests_per_minute, 1, "requests"))
    if rules.tokens_per_minute:
        checks.append((f"tok:{principal}", rules.tokens_per_minute, estimate_tokens(texts), "tokens"))
    for key, per_minute, cost, what in checks:
        try:
            allowed, wait = await gw.limiter.take(key, per_minute, cost)
        except Exception as exc:  # noqa: BLE001 - limiter backend down
            if app_policy.fail_open:
                continue
            raise unavailable(
                f"rate limiter unavailable ({exc.__class__.__name__})", "limiter_unavailable"
            ) from None
        if not allowed:
            raise GatewayError(
                429,
                f"{what} per minute limit of {per_minute} reached for principal "
                f"{principal!r} (policy {policy.id})",
                "rate_limit_error",
                "rate_limit_exceeded",
                policy=f"{policy.id}/principals/{principal}",
                headers={"retry-after": str(max(1, round(wait)))},
            )


async def _count_tokens(gw: Gateway, policy: Policy, ctx: Context) -> None:
    completion = ctx.usage.get("completion_tokens") or 0
    for kind in ("prompt_tokens", "completion_tokens"):
        if ctx.usage.get(kind):
            gw.metrics.tokens.labels(kind.split("_")[0], ctx.model or "").inc(ctx.usage[kind])
    rules = policy.for_principal(ctx.principal.name)
    if rules.tokens_per_minute and completion:
        try:
            await gw.limiter.charge(f"tok:{ctx.principal.name}", rules.tokens_per_minute, completion)
        except Exception:  # noqa: BLE001,S110 - counting must not fail an answered request
            pass


async def _refuse(gw: Gateway, ctx: Context, err: GatewayError, dialect: str) -> Response:
    ctx.status, ctx.error = err.status, err.code
    if err.status == 403 and ctx.verdict.get("action") != "block":
        ctx.verdict = {**ctx.verdict, "action": "block", "policy": err.policy, "reason": err.code}
    if err.status in (403, 429):
        gw.metrics.blocks.labels(err.code).inc()
    try:
        await gw.record(ctx, fail_open=True)
    except GatewayError:  # the refusal stands even if its audit event cannot be written
        pass
    return err.response(dialect)
