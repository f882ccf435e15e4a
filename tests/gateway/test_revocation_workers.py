"""Revocation takes effect at once on every gateway worker: two gateways (one in this
process, one a separate OS process) share the database and key folder; a revocation
made with the CLI is refused by the next request on either."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt
import pytest
import yaml
from fakes import free_port
from typer.testing import CliRunner

from aiposture.cli import app as cli
from aiposture.identity.principals import Principals

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
WORKER = """
import sys
sys.path.insert(0, sys.argv[1])
import uvicorn
from fakes import FakeGuard
from aiposture.gateway.app import create_app
from aiposture.gateway.config import GatewayConfig
from aiposture.store.database import Store
config = GatewayConfig.load(sys.argv[2])
app = create_app(config, Store.open(config.database, migrate=False), FakeGuard())
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


@pytest.fixture
def two_workers(gateway, tmp_path):
    """An in-process gateway (the harness) and a second OS process on its database and state_dir."""
    gw = gateway()
    gw.app.state.gateway.tokens.keys.interval = 0.0  # this worker re-reads the key folder on every use
    db = str(gw.store.engine.url)
    cfg = {**gw.config.model_dump(mode="json", exclude_none=True), "database": db}
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(cfg))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(Path(__file__).parent), str(path), str(port)],
        env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    remote = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{remote}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(f"worker did not start: {proc.stdout.read().decode()[-2000:]}")
        time.sleep(0.1)
    try:
        yield db, gw.store, gw.server.url, remote, path
    finally:
        proc.terminate()
        proc.wait(10)


def _chat(base: str, token: str) -> httpx.Response:
    return httpx.post(f"{base}/v1/chat/completions", json=CHAT, headers={"authorization": f"Bearer {token}"})


def _token(base: str, name: str, key: str) -> str:
    resp = httpx.post(f"{base}/oauth/token", data={"grant_type": "client_credentials", "client_id": name,
                                                   "client_secret": key})
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def test_cli_revocation_reaches_every_worker(two_workers):
    db, store, local, remote, _ = two_workers
    _, key = Principals(store).add("agent-1", "agent")
    token = _token(local, "agent-1", key)
    assert _chat(remote, token).status_code == 200  # the other process verifies with the shared key folder
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    result = CliRunner().invoke(cli, ["tokens", "revoke", "--jti", jti, "--db", db])
    assert result.exit_code == 0, result.output
    for base in (remote, local):  # the very next request, no wait
        refused = _chat(base, token)
        assert refused.status_code == 401 and "(revoked)" in refused.json()["error"]["message"]
    assert _chat(remote, token).status_code == 401  # replay stays refused
    other = _token(remote, "agent-1", key)
    assert _chat(local, other).status_code == 200
    result = CliRunner().invoke(cli, ["tokens", "revoke", "--principal", "agent-1", "--db", db])
    assert result.exit_code == 0
    assert _chat(local, other).status_code == 401 and _chat(remote, other).status_code == 401


def test_rotation_by_cli_reaches_running_workers(two_workers):
    db, store, local, remote, config = two_workers
    _, key = Principals(store).add("agent-2", "agent")
    old = _token(remote, "agent-2", key)
    result = CliRunner().invoke(cli, ["tokens", "keys", "rotate", "--config", str(config)])
    assert result.exit_code == 0, result.output
    new_kid = result.stdout.strip()
    new = _token(local, "agent-2", key)
    assert jwt.get_unverified_header(new)["kid"] == new_kid
    assert _chat(remote, new).status_code == 200 and _chat(remote, old).status_code == 200
    kids = {k["kid"] for k in httpx.get(f"{remote}/.well-known/jwks.json").json()["keys"]}
    assert new_kid in kids and len(kids) == 2


def test_revocation_endpoint_on_one_worker_reaches_the_other(two_workers):
    _, store, local, remote, _ = two_workers
    _, key = Principals(store).add("agent-3", "agent")
    token = _token(remote, "agent-3", key)
    assert _chat(local, token).status_code == 200
    resp = httpx.post(f"{remote}/oauth/revoke", data={"token": token}, auth=("agent-3", key))
    assert resp.status_code == 200
    refused = _chat(local, token)
    assert refused.status_code == 401 and "(revoked)" in refused.json()["error"]["message"]
