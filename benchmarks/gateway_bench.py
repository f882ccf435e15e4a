"""Gateway overhead: the same load straight to a fake upstream, through the aiposture
gateway (full default guard on every prompt and answer, durable audit, principal key
check) and through the LiteLLM proxy (its defaults), in one run.

    .venv/bin/python benchmarks/gateway_bench.py [--duration 15] [--connections 1 10 100] [--workers 2]
    .venv/bin/python benchmarks/gateway_bench.py --clients   # upstream client alone: httpx vs the pool

Needs `wrk` (apt-get install wrk) and, for the LiteLLM column, LiteLLM in its own venv:
    python -m venv benchmarks/.venv-litellm
    benchmarks/.venv-litellm/bin/pip install 'litellm[proxy]==1.106.*'

The fake upstream is a raw ASGI app on uvicorn (httptools, uvloop) that answers at
once, non-streaming or as SSE. Each request carries a 1 KB business prompt made
unique by a counter (so the guard's verdict cache never hits). The table reports
requests/s and latency percentiles from wrk, the latency each proxy adds to the
direct path at the same concurrency, and the CPU time each target's processes spent
per request (from /proc; on a shared machine it varies far less than wall-clock
latency). `--clients` measures the upstream HTTP client alone, httpx against the
gateway's pool, in one process against the same fake upstream.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
LITELLM = ROOT / "benchmarks" / ".venv-litellm" / "bin" / "litellm"
PROMPT = (
    "The quarterly report shows revenue growth in the northern region while churn fell to four percent. "
    "Please summarise the attached contract and list every obligation with its deadline. "
) * 6
PROMPT = PROMPT[:1000]  # with the "Ticket N-M: " prefix: ~1 KB

_ANSWER = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "The contract lists three obligations."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 230, "completion_tokens": 8, "total_tokens": 238},
    }
).encode()


def _chunks() -> bytes:
    out = []
    for word in "The contract lists three obligations with deadlines in the annex.".split(" "):
        event = {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}],
        }
        out.append(f"data: {json.dumps(event)}\n\n")
    out.append(
        'data: {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini", '
        '"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\ndata: [DONE]\n\n'
    )
    return "".join(out).encode()


_STREAM = _chunks()


async def fake_upstream(scope, receive, send):
    """Raw ASGI: answer at once; SSE when the body asks for a stream."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if b'"stream": true' in body or b'"stream":true' in body:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        await send({"type": "http.response.body", "body": _STREAM})
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_ANSWER)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _ANSWER})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 300, headers: dict | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited early")
        try:
            httpx.get(url, timeout=2, headers=headers)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def start(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        cmd,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants, from /proc."""
    total = 0.0
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                total += sum(tree_cpu(int(child)) for child in handle.read().split())
    except (OSError, IndexError, ValueError):
        pass
    return total


LUA = """
counter = 0
request = function()
  counter = counter + 1
  local body = '{"model": "gpt-4o-mini", "stream": %s, "messages": [{"role": "user", "content": "Ticket '
    .. counter .. '-' .. tostring(math.random(1, 1000000)) .. ': %s"}]}'
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s"}
  return wrk.format("POST", "%s", headers, body)
end
"""


def run_wrk(
    base: str, path: str, key: str, stream: bool, connections: int, duration: int, work: Path
) -> dict:
    script = work / f"post-{abs(hash((base, stream)))}.lua"
    script.write_text(LUA % ("true" if stream else "false", PROMPT, key, path))
    threads = min(2, connections)
    before = os.times()
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    after = os.times()
    result = parse_wrk(out)
    wrk_cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    result["wrk_cpu_ms"] = wrk_cpu * 1000 / max(1, result["requests"])
    return result


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out: str) -> dict:
    pct = {
        m.group(1): _ms(m.group(2), m.group(3))
        for m in re.finditer(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    }
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {
        "rps": rps,
        "p50": pct.get("50"),
        "p99": pct.get("99"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1).strip() if errors else "",
        "requests": total,
    }


def setup_gateway(work: Path, upstream_port: int, workers: int, durable: bool = True,
                  name: str = "gateway") -> tuple[subprocess.Popen, int, str]:
    sys.path.insert(0, str(ROOT / "src"))
    from aiposture.identity.principals import Principals
    from aiposture.store.database import Store

    db = f"sqlite:///{work / (name + '.db')}"
    store = Store.open(db)
    _, key = Principals(store).add("bench-app")
    store.close()
    (work / f"{name}.yaml").write_text(
        json.dumps(
            {
                "upstreams": [
                    {"name": "fake", "base_url": f"http://127.0.0.1:{upstream_port}/v1", "models": ["gpt-*"]}
                ],
                "database": db,
                "state_dir": str(work / "state"),
                "audit": {"durable": durable},
            }
        )
    )
    port = free_port()
    proc = start(
        [
            sys.executable,
            "-m",
            "aiposture.cli",
            "gateway",
            "--config",
            str(work / f"{name}.yaml"),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=work,
    )
    wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
    return proc, port, key


def setup_litellm(work: Path, upstream_port: int) -> tuple[subprocess.Popen, int] | None:
    if not LITELLM.exists():
        return None
    (work / "litellm.yaml").write_text(
        json.dumps(
            {
                "model_list": [
                    {
                        "model_name": "gpt-4o-mini",
                        "litellm_params": {
                            "model": "openai/gpt-4o-mini",
                            "api_key": "sk-fake",
                            "api_base": f"http://127.0.0.1:{upstream_port}/v1",
                        },
                    }
                ],
                "litellm_settings": {"success_callback": [], "failure_callback": [], "telemetry": False},
                "general_settings": {"dangerously_permit_weak_or_unset_master_key": True},
            }
        )
    )
    env = {
        k: "True"
        for k in (
            "LITELLM_LOCAL_MODEL_COST_MAP",
            "LITELLM_LOCAL_BLOG_POSTS",
            "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS",
            "LITELLM_LOCAL_POLICY_TEMPLATES",
            "LITELLM_LOCAL_AUTOROUTER_PRESETS",
        )
    }
    env.update(LITELLM_TELEMETRY="False", LITELLM_LOG="ERROR")
    port = free_port()
    proc = start(
        [str(LITELLM), "--config", str(work / "litellm.yaml"), "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        cwd=work,
    )
    wait_ready(f"http://127.0.0.1:{port}/health/liveliness", proc)
    # the first request is slow (lazy imports): warm it up
    httpx.post(
        f"http://127.0.0.1:{port}/v1/chat/completions",
        timeout=120,
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "warm"}]},
    )
    return proc, port


async def _client_cell(kind: str, url: str, body: bytes, concurrency: int, total: int) -> tuple[float, float]:
    """(requests/s, CPU µs per request in this process) for one client at one concurrency."""
    headers = {"content-type": "application/json", "authorization": "Bearer sk-none"}
    if kind == "httpx":
        client = httpx.AsyncClient(limits=httpx.Limits(max_connections=200, max_keepalive_connections=200))

        async def one() -> None:
            resp = await client.post(url, content=body, headers=headers)
            assert resp.status_code == 200 and json.loads(resp.content)["choices"]

        close = client.aclose
    else:
        from aiposture.gateway.upstream_http import UpstreamPool

        pool = UpstreamPool(200, 5.0, 120.0)

        async def one() -> None:
            resp = await pool.request("POST", url, headers, body)
            assert resp.status == 200 and json.loads(await resp.read())["choices"]

        close = pool.aclose
    for _ in range(50):
        await one()
    per = total // concurrency

    async def worker() -> None:
        for _ in range(per):
            await one()

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    await close()
    return per * concurrency / wall, cpu / (per * concurrency) * 1e6


def client_table(up_port: int, total: int = 4000) -> None:
    import uvloop

    sys.path.insert(0, str(ROOT / "src"))
    url = f"http://127.0.0.1:{up_port}/v1/chat/completions"
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": PROMPT}]}).encode()
    print(f"upstream client alone, {total} POSTs of 1 KB per cell; load avg {os.getloadavg()[0]:.1f}")
    print("| client | in flight | requests/s | CPU µs/request |")
    print("| --- | ---: | ---: | ---: |")
    for concurrency in (1, 20, 100):
        for kind in ("httpx", "aiposture pool"):
            rps, cpu_us = uvloop.run(_client_cell(kind, url, body, concurrency, total))
            label = f"httpx {httpx.__version__}" if kind == "httpx" else kind
            print(f"| {label} | {concurrency} | {rps:,.0f} | {cpu_us:,.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--connections", type=int, nargs="+", default=[1, 100])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-litellm", action="store_true")
    ap.add_argument("--clients", action="store_true", help="only the upstream client table (httpx vs the pool)")
    ap.add_argument("--async-audit", action="store_true",
                    help="also a gateway that does not wait for the audit commit (audit.durable: false)")
    args = ap.parse_args()
    if not args.clients and not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="aiposture-gw-bench-"))
    up_port = free_port()
    upstream = start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "gateway_bench:fake_upstream",
            "--port",
            str(up_port),
            "--http",
            "httptools",
            "--loop",
            "uvloop",
            "--log-level",
            "error",
            "--no-access-log",
        ],
        cwd=ROOT / "benchmarks",
    )
    procs = [upstream]
    try:
        wait_ready(f"http://127.0.0.1:{up_port}/", upstream)
        if args.clients:
            client_table(up_port)
            return
        gw, gw_port, key = setup_gateway(work, up_port, args.workers)
        procs.append(gw)
        targets = [
            ("direct", f"http://127.0.0.1:{up_port}", "sk-none", upstream),
            ("aiposture", f"http://127.0.0.1:{gw_port}", key, gw),
        ]
        if args.async_audit:
            gw2, gw2_port, key2 = setup_gateway(work, up_port, args.workers, durable=False,
                                                name="gateway-async")
            procs.append(gw2)
            targets.append(("aiposture, audit not awaited", f"http://127.0.0.1:{gw2_port}", key2, gw2))
        lite = None if args.skip_litellm else setup_litellm(work, up_port)
        if lite:
            procs.append(lite[0])
            targets.append(("litellm", f"http://127.0.0.1:{lite[1]}", "sk-none", lite[0]))
        for _, warm_base, warm_key, _ in targets:
            run_wrk(warm_base, "/v1/chat/completions", warm_key, False, 10, 3, work)
        rows = []
        for stream in (False, True):
            for conns in args.connections:
                results = {}
                for name, base, k, proc in targets:
                    before = tree_cpu(proc.pid)
                    results[name] = run_wrk(base, "/v1/chat/completions", k, stream, conns, args.duration, work)
                    results[name]["cpu_ms"] = (tree_cpu(proc.pid) - before) * 1000 / max(1, results[name]["requests"])
                rows.append((stream, conns, results))
        print_table(rows, args)
    finally:
        for proc in reversed(procs):
            stop(proc)


def print_table(rows, args) -> None:
    refused = [(name, r["non2xx"]) for _, _, results in rows for name, r in results.items() if r["non2xx"]]
    if refused:
        print(f"WARNING: non-2xx answers {refused}: those cells measure refusals, not the proxied path")
    print(
        f"gateway workers: {args.workers}; wrk {args.duration}s per cell; 1 KB prompts; "
        f"load avg at end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    wrk_cpu = [r["wrk_cpu_ms"] for _, _, results in rows for r in results.values()]
    print(f"wrk's own CPU per request: {min(wrk_cpu):.3f}-{max(wrk_cpu):.3f} ms")
    print("| mode | clients | target | requests/s | p50 ms | p99 ms | added p50 ms | added p99 ms "
          "| CPU ms/request | non-2xx/errors |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for stream, conns, results in rows:
        direct = results["direct"]
        for name, r in results.items():
            added = (
                "" if name == "direct" else f"{r['p50'] - direct['p50']:.2f} | {r['p99'] - direct['p99']:.2f}"
            )
            if name == "direct":
                added = "- | -"
            errs = f"{r['non2xx']}" + (f" / {r['errors']}" if r["errors"] else "")
            print(
                f"| {'stream' if stream else 'json'} | {conns} | {name} | {r['rps']:,.0f} | {r['p50']:.2f} | "
                f"{r['p99']:.2f} | {added} | {r['cpu_ms']:.2f} | {errs} |"
            )


if __name__ == "__main__":
    main()
