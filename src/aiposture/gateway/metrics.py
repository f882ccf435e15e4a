"""Prometheus metrics of one gateway app, in its own registry (passed around, not a
module global, so tests and several apps in one process don't collide)."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "aiposture_gateway_requests", "Requests by route and status", ["route", "status"], registry=r
        )
        self.blocks = Counter(
            "aiposture_gateway_blocks", "Blocked requests by reason code", ["code"], registry=r
        )
        self.latency = Histogram(
            "aiposture_gateway_request_seconds",
            "Total request latency",
            ["route"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.overhead = Histogram(
            "aiposture_gateway_overhead_seconds",
            "Time spent in the gateway (guard, policy, audit), upstream excluded",
            ["route"],
            buckets=_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "aiposture_gateway_tokens", "Tokens reported by upstreams", ["kind", "model"], registry=r
        )

    def render(self) -> bytes:
        """This process's metrics, or all workers' when prometheus-client runs in
        multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, set by `serve` for N workers)."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
