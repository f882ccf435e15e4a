"""Serving the gateway with uvicorn, several worker processes.

uvicorn starts workers by importing an app factory, so the config path travels in
the environment (`AIPOSTURE_GATEWAY_CONFIG`). The database is migrated once by the
parent before workers start, so they don't race on the schema; each worker builds
its own store, guard, audit writer and upstream pool. Workers share one audit chain:
appends are serialised by the database lock (see aiposture.audit.db).

Once a worker has built its app it moves every object it holds into the collector's
permanent generation (`gc.freeze`): the guard's models, the policy and the imported
libraries are ~110,000 tracked objects that live as long as the worker, and each full
collection walked them all — measured at 100 clients: 8 full collections in 12 s
costing 670 ms, the longest 156 ms (a request waiting behind it sees that much
latency); frozen, 119 ms in all, the longest 16 ms.
"""

from __future__ import annotations

import gc
import os
import shutil
from pathlib import Path

from starlette.applications import Starlette

from aiposture.gateway.app import create_app
from aiposture.gateway.config import GatewayConfig
from aiposture.store.database import Store

ENV_CONFIG = "AIPOSTURE_GATEWAY_CONFIG"


def database_url(config: GatewayConfig) -> str:
    return config.database or f"sqlite:///{(Path(config.state_dir) / 'aiposture.db').as_posix()}"


def build_app(config_path: Path, migrate: bool = True) -> Starlette:
    from aiposture.guard import Guard

    config = GatewayConfig.load(config_path)
    store = Store.open(database_url(config), migrate=migrate)
    guard = Guard(config.guard_policy)
    return create_app(config, store, guard)


def app_from_env() -> Starlette:
    """The uvicorn factory used by each worker."""
    app = build_app(Path(os.environ[ENV_CONFIG]), migrate=False)
    gc.collect()
    gc.freeze()  # long-lived objects out of every later collection (see the module docstring)
    return app


def serve(
    config_path: Path, host: str = "127.0.0.1", port: int = 8787, workers: int = 1, log_level: str = "warning"
) -> None:
    import uvicorn

    config = GatewayConfig.load(config_path)  # fail early, in the parent, on a bad config
    Store.open(database_url(config)).close()
    os.environ[ENV_CONFIG] = str(Path(config_path).resolve())
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # one /metrics for all workers: prometheus-client's multiprocess mode, fresh per start
        metrics_dir = Path(config.state_dir) / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    uvicorn.run(
        "aiposture.gateway.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=max(1, workers),
        log_level=log_level,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=10,
        h11_max_incomplete_event_size=64 * 1024,
        timeout_worker_healthcheck=300,
    )  # a worker builds its guard before it answers pings
