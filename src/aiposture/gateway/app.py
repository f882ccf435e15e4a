"""`create_app(config, store, guard)`: the Starlette app of the gateway.

Starlette rather than FastAPI's request models: the gateway passes bodies through
mostly untouched and validates only what it reads, and every microsecond here is
added to every model call."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiposture.audit.trail import AuditTrail, default_key_path
from aiposture.audit.writer import WriterSettings
from aiposture.gateway.approvals_api import ApprovalsApi
from aiposture.gateway.auth import build_tokens
from aiposture.gateway.config import GatewayConfig, Policy, PolicyHolder
from aiposture.gateway.errors import GatewayError
from aiposture.gateway.limits import Limiter, LocalLimiter, RedisLimiter
from aiposture.gateway.mcp import McpProxy
from aiposture.gateway.metrics import GatewayMetrics
from aiposture.gateway.oauth import oauth_routes
from aiposture.gateway.retention import start_retention
from aiposture.gateway.routes import handle
from aiposture.gateway.service import Gateway
from aiposture.gateway.telemetry import make_tracer
from aiposture.gateway.tools import tool_gate
from aiposture.gateway.upstream import UpstreamClient, make_client
from aiposture.identity.principals import Principals
from aiposture.store.database import Store


def create_app(
    config: GatewayConfig,
    store: Store,
    guard: Any,
    *,
    policy: Policy | None = None,
    limiter: Limiter | None = None,
    client: UpstreamClient | None = None,
    audit: AuditTrail | None = None,
    tracer: Any | None = None,
) -> Starlette:
    """Build the gateway. `guard` is any object with `check(text, direction) -> Verdict`."""
    key = config.audit.key_file or default_key_path(Path(config.state_dir))
    audit = audit or AuditTrail(store, key, WriterSettings(checkpoint_every=config.audit.checkpoint_every))
    if limiter is None:
        limiter = RedisLimiter.from_url(config.redis_url) if config.redis_url else LocalLimiter()
    gw = Gateway(
        config=config,
        principals=Principals(store),
        guard=guard,
        audit=audit,
        policy=PolicyHolder(config.policy, policy),
        limiter=limiter,
        client=client or make_client(config.limits),
        metrics=GatewayMetrics(),
        tokens=build_tokens(config.tokens, Path(config.state_dir), store),
    )

    gw.tracer = tracer if tracer is not None else make_tracer(config.telemetry.otel)
    gw.tools = tool_gate(config, gw.principals, audit, store)
    tool_routes, closers = _tool_routes(gw)

    app = Starlette(routes=[*_routes(gw), *tool_routes], lifespan=_lifespan(gw, closers))
    app.state.gateway = gw
    return app


def _routes(gw: Gateway) -> list[Route]:
    """The route table: every model route goes through `handle` with its dialect."""

    def model_route(kind: str, route: str, dialect: str = "openai"):
        async def endpoint(request: Request) -> Response:
            return await handle(gw, request, kind, route, dialect)

        return endpoint

    def azure_route(kind: str):
        async def endpoint(request: Request) -> Response:
            name = request.path_params["name"]
            return await handle(gw, request, kind, f"/openai/deployments/{{name}}/{kind}", "openai", name)

        return endpoint

    async def models(request: Request) -> Response:
        try:
            principal = gw.authenticate(request)
        except GatewayError as err:
            return err.response()
        policy_now = gw.policy.policy
        data = [
            {"id": m, "object": "model", "created": 0, "owned_by": up.name}
            for up in gw.config.upstreams
            for m in up.models
            if "*" not in m and policy_now.model_allowed(principal.name, m)
        ]
        if gw.tools is not None:  # and the access policy's invoke_model
            data = gw.tools.invocable(principal, request.headers, data)
        return JSONResponse({"object": "list", "data": data})

    async def metrics(_request: Request) -> Response:
        return Response(gw.metrics.render(), media_type="text/plain; version=0.0.4")

    async def health(_request: Request) -> Response:
        """Liveness, and whether a refused edit left the policy or the access folder on
        its last good version ("degraded"). Still 200: the gateway serves, and a probe
        that restarted it on 503 would turn a bad edit into an outage (a folder that
        does not load stops the start)."""
        checks = {"policy": gw.policy.health()}
        if gw.tools is not None:
            checks["access"] = gw.tools.access.health()
        degraded = any(c["status"] != "ok" for c in checks.values())
        return JSONResponse({"status": "degraded" if degraded else "ok", "policy_error": gw.policy.error,
                             "checks": checks})

    return [
        Route("/v1/chat/completions", model_route("chat", "/v1/chat/completions"), methods=["POST"]),
        Route("/v1/completions", model_route("completions", "/v1/completions"), methods=["POST"]),
        Route("/v1/embeddings", model_route("embeddings", "/v1/embeddings"), methods=["POST"]),
        Route("/v1/messages", model_route("anthropic", "/v1/messages", "anthropic"), methods=["POST"]),
        Route("/openai/deployments/{name}/chat/completions", azure_route("chat"), methods=["POST"]),
        Route("/openai/deployments/{name}/completions", azure_route("completions"), methods=["POST"]),
        Route("/openai/deployments/{name}/embeddings", azure_route("embeddings"), methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
        *oauth_routes(gw),
    ]


def _tool_routes(gw: Gateway) -> tuple[list[Route], list]:
    """The approvals API (with an access policy) and the MCP servers behind the gateway;
    and what to close at shutdown."""
    routes, closers = [], []
    if gw.tools is not None:
        routes += ApprovalsApi(gw, gw.tools).routes()
    if gw.config.mcp:
        proxy = McpProxy(gw, gw.config.mcp)
        routes += proxy.routes()
        closers.append(proxy.aclose)
    return routes, closers


def _lifespan(gw: Gateway, closers: list | None = None):
    @contextlib.asynccontextmanager
    async def lifespan(_app):
        audit_settings = gw.config.audit
        retention = start_retention(gw.audit, audit_settings.retention_days, audit_settings.retention_interval_s)
        yield
        if retention is not None:
            retention.cancel()
        await gw.client.aclose()
        for close in closers or []:
            await close()
        if isinstance(gw.limiter, RedisLimiter):
            await gw.limiter.close()
        gw.audit.writer.close()

    return lifespan
