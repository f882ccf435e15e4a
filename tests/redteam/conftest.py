"""Shared fixtures: local servers on 127.0.0.1 started by the test, a scratch
database, and a configurable fake target."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from aiposture.redteam.model import ChatRequest, TargetReply
from aiposture.redteam.sample_target import app as sample_app
from aiposture.redteam.targets.base import Target, TargetError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(asgi_app: Any) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1 in a thread; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(asgi_app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def sample_url() -> Iterator[str]:
    with serve(sample_app) as url:
        yield url + "/v1"


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'rt.db'}"


class FakeTarget(Target):
    """A scripted target: `answer(request) -> str | TargetReply`; can fail the first
    `fail_first` calls with a retryable error, or sleep to trigger timeouts."""

    name = "fake"

    def __init__(self, answer=None, fail_first: int = 0, delay: float = 0.0, retryable: bool = True) -> None:
        self.answer = answer or (lambda request: "I'm sorry, I can't help with that.")
        self.fail_first, self.delay, self.retryable = fail_first, delay, retryable
        self.calls = 0
        self.requests: list[ChatRequest] = []

    async def send(self, request: ChatRequest) -> TargetReply:
        self.calls += 1
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.calls <= self.fail_first:
            raise TargetError("HTTP 503", retryable=self.retryable)
        value = self.answer(request)
        return value if isinstance(value, TargetReply) else TargetReply(text=value)
