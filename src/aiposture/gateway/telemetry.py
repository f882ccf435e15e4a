"""OpenTelemetry GenAI spans, only when asked for.

With `telemetry: {otel: true}` in the config and the `opentelemetry-api` package
importable, each model call becomes a span named `<operation> <model>` with the GenAI
semantic-convention attributes (`gen_ai.operation.name`, `gen_ai.system`,
`gen_ai.request.model`, `gen_ai.usage.input_tokens`/`output_tokens`) plus the
gateway's decision (`aiposture.*`). Exporting is the host's business (an SDK tracer
provider and exporter, e.g. `opentelemetry-instrument`); without one the API's
tracer is a no-op. aiposture itself does not depend on OpenTelemetry.
"""

from __future__ import annotations

from typing import Any

_OPERATIONS = {
    "chat": "chat",
    "completions": "text_completion",
    "embeddings": "embeddings",
    "anthropic": "chat",
}


def make_tracer(enabled: bool) -> Any | None:
    if not enabled:
        return None
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_tracer("aiposture.gateway")


def record_span(tracer: Any | None, kind: str, ctx: Any, started_ns: int, ended_ns: int) -> None:
    """One finished span for a request (built after the fact from the request context,
    so the hot path carries no tracing code when tracing is off)."""
    if tracer is None:
        return
    operation = _OPERATIONS.get(kind, kind)
    span = tracer.start_span(f"{operation} {ctx.model or ''}".strip(), start_time=started_ns)
    attributes = {
        "gen_ai.operation.name": operation,
        "gen_ai.system": ctx.upstream or "",
        "gen_ai.request.model": ctx.model or "",
        "gen_ai.usage.input_tokens": ctx.usage.get("prompt_tokens"),
        "gen_ai.usage.output_tokens": ctx.usage.get("completion_tokens"),
        "http.response.status_code": ctx.status,
        "aiposture.principal": ctx.principal.name if ctx.principal else None,
        "aiposture.app": ctx.app,
        "aiposture.verdict.action": (ctx.verdict or {}).get("action"),
        "aiposture.verdict.policy": (ctx.verdict or {}).get("policy"),
        "aiposture.error": ctx.error,
    }
    for key, value in attributes.items():
        if value is not None:
            span.set_attribute(key, value)
    span.end(end_time=ended_ns)
