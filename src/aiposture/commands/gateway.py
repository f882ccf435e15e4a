"""`aiposture gateway --config gateway.yaml`: serve the OpenAI-compatible gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aiposture.commands.common import run_command


def register(app: typer.Typer) -> None:
    @app.command("gateway")
    def gateway(
        config: Annotated[Path, typer.Option("--config", "-c", help="Gateway config (YAML).")],
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8787,
        workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
        log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    ) -> None:
        """Serve the OpenAI-compatible gateway (auth, policy, guard, audit)."""
        from aiposture.gateway.server import serve

        run_command(lambda: serve(config, host, port, workers, log_level))
