"""`aiposture demo target`: serve the deliberately weak Contoso copilot as an
OpenAI-compatible endpoint on the loopback interface (the lead wires this into the
`demo` command group). Never expose it: it leaks and obeys on purpose."""

from __future__ import annotations

import uvicorn

from aiposture.redteam.sample_target import app


def serve_target(host: str = "127.0.0.1", port: int = 8788) -> None:
    """Serve until interrupted. Point `aiposture redteam run --target http://HOST:PORT/v1` at it."""
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
