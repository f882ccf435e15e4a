from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import uvicorn
import yaml
from fakes import FakeGuard, FakeUpstream, free_port  # noqa: E402  (tests/gateway is on sys.path)

from aiposture.gateway.app import create_app
from aiposture.gateway.config import GatewayConfig
from aiposture.identity.principals import Principals
from aiposture.store.database import Store


class ServerThread:
    def __init__(self, app) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def upstream():
    fake = FakeUpstream()
    with ServerThread(fake) as server:
        server.fake = fake
        yield server


DEFAULT_POLICY = {
    "id": "contoso",
    "principals": {
        "*": {
            "models": [
                "gpt-*",
                "claude-*",
                "text-embedding-*",
                "fail-500",
                "broken-json",
                "bad-request",
                "azure-gpt",
            ]
        },
        "restricted-bot": {"models": ["gpt-4o-mini"]},
    },
    "apps": {"*": {"content_logging": "redacted"}},
}


class GatewayHarness:
    def __init__(
        self,
        tmp_path: Path,
        upstream,
        policy: dict | None = None,
        config: dict | None = None,
        guard=None,
        limiter=None,
    ) -> None:
        self.tmp_path = tmp_path
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.policy_path = tmp_path / "policy.yaml"
        self.policy_path.write_text(yaml.safe_dump(policy or DEFAULT_POLICY))
        cfg = {
            "upstreams": [
                {
                    "name": "openai",
                    "base_url": f"{upstream.url}/v1",
                    "api_key_env": "FAKE_UPSTREAM_KEY",
                    "models": ["gpt-*", "text-embedding-*", "fail-500", "broken-json", "bad-request"],
                },
                {"name": "anthropic", "kind": "anthropic", "base_url": upstream.url, "models": ["claude-*"]},
                {
                    "name": "azure",
                    "kind": "azure",
                    "base_url": upstream.url,
                    "models": ["azure-gpt"],
                    "deployments": {"azure-gpt": "prod-gpt"},
                    "external": False,
                },
            ],
            "policy": str(self.policy_path),
            "state_dir": str(tmp_path / "state"),
            "limits": {"upstream_timeout_s": 1.0, "max_body_bytes": 200_000},
        }
        cfg.update(config or {})
        self.config = GatewayConfig.model_validate(cfg)
        self.store = Store.open(f"sqlite:///{tmp_path / 'gw.db'}")
        self.principals = Principals(self.store)
        self.guard = guard or FakeGuard()
        self.app = create_app(self.config, self.store, self.guard, limiter=limiter)
        self.app.state.gateway.policy.interval = 0.0
        self.server = ServerThread(self.app)
        self.upstream = upstream

    def key(self, name: str = "support-bot", kind: str = "app", app: str | None = None) -> str:
        return self.principals.add(name, kind, app=app)[1]

    @property
    def trail(self):
        return self.app.state.gateway.audit

    def events(self):
        return list(self.trail.events())

    def openai(self, key: str, **kw):
        import openai

        return openai.OpenAI(base_url=f"{self.server.url}/v1", api_key=key, max_retries=0, **kw)

    def __enter__(self):
        self.server.__enter__()
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)
        self.store.close()


@pytest.fixture
def gateway(tmp_path, upstream, monkeypatch):
    monkeypatch.setenv("FAKE_UPSTREAM_KEY", "sk-upstream-secret")
    harnesses = []

    def make(**kw) -> GatewayHarness:
        h = GatewayHarness(tmp_path / f"g{len(harnesses)}", upstream, **kw)
        harnesses.append(h.__enter__())
        return h

    yield make
    for h in harnesses:
        h.__exit__(None, None, None)


@pytest.fixture
def serve():
    """Start any ASGI app on 127.0.0.1 for the test: `serve(app).url`."""
    servers = []

    def start(app):
        servers.append(ServerThread(app).__enter__())
        return servers[-1]

    yield start
    for server in servers:
        server.__exit__(None, None, None)
