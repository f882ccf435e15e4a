"""kill -9 of a multi-worker gateway under load loses no event whose request succeeded,
and the chain still verifies after a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import yaml
from fakes import free_port  # noqa: E402

from aiposture.audit.trail import AuditTrail
from aiposture.identity.principals import Principals
from aiposture.store.database import Store


def _start(config: Path, port: int, cwd: Path) -> subprocess.Popen:
    # the server module directly rather than the whole CLI: the same code path as `aiposture gateway`
    code = f"from aiposture.gateway.server import serve; serve({str(config)!r}, port={port}, workers=2)"
    cmd = [sys.executable, "-c", code]
    proc = subprocess.Popen(
        cmd, cwd=cwd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gateway exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("gateway did not start")


def test_kill_9_under_load_loses_no_acknowledged_event(tmp_path, upstream):
    db = tmp_path / "gw.db"
    # the real guard with a small, stable policy: this test is about the audit trail, not
    # about the classifiers (which are retrained as they improve)
    guard_policy = tmp_path / "guard.yaml"
    guard_policy.write_text(
        "id: durability\ndetectors: {secrets: {}, pii: {}}\n"
        "rules:\n  - {id: block-secrets, detector: secrets, threshold: 0.5, action: block}\n"
    )
    config = tmp_path / "gateway.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "upstreams": [{"name": "fake", "base_url": f"{upstream.url}/v1", "models": ["gpt-*"]}],
                "database": f"sqlite:///{db}",
                "state_dir": str(tmp_path / "state"),
                "guard_policy": str(guard_policy),
            }
        )
    )
    store = Store.open(f"sqlite:///{db}")
    _, key = Principals(store).add("load-app")
    port = free_port()
    proc = _start(config, port, tmp_path)
    ok, errors, stop = [0], [0], threading.Event()
    statuses: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(timeout=10) as http:
            while not stop.is_set():
                try:
                    resp = http.post(
                        f"http://127.0.0.1:{port}/v1/chat/completions",
                        headers={"authorization": f"Bearer {key}"},
                        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
                    )
                    good = resp.status_code == 200
                    if not good:
                        statuses.append(f"{resp.status_code} {resp.text[:200]}")
                except httpx.HTTPError as exc:
                    good = False
                    statuses.append(exc.__class__.__name__)
                with lock:
                    (ok if good else errors)[0] += 1
                if not good:
                    return

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    while ok[0] < 300 and any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ok[0] >= 300, f"load did not get going: {ok[0]} ok, {statuses[:3]}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    stop.set()
    for t in threads:
        t.join(15)
    trail = AuditTrail(store, tmp_path / "state" / "audit_ed25519.key", create_key=False)
    written = trail.count()
    assert written >= ok[0], f"{ok[0]} acknowledged requests but only {written} events"
    assert written <= ok[0] + errors[0] + 8
    assert trail.verify().ok
    proc = _start(config, port, tmp_path)
    try:
        resp = httpx.post(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            headers={"authorization": f"Bearer {key}"},
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert resp.status_code == 200
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text  # both workers, one view
        assert 'aiposture_gateway_requests_total{route="/v1/chat/completions",status="200"} 1.0' in metrics
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    report = trail.verify()
    assert report.ok, report.issues
    assert report.events == written + 1
    trail.close()
    store.close()
