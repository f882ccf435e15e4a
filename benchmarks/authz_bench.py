"""Authorization decision latency: aiposture's Cedar access policies (cedarpy, cached
policy set) side by side with a Casbin (pycasbin) model of the same rules.

    .venv/bin/python benchmarks/authz_bench.py [--requests 20000] [--core 1]

Both engines run on one pinned core, one request at a time, timed end to end from the
raw request: for aiposture `AccessPolicy.authorize` (entities and context built,
Cedar evaluated, the decision explained, the approval rule applied); for Casbin the
attributes built from the same raw request and `enforce`. Requests are the realistic
shapes of the authorization matrix: 9 principals (users, apps, agents, a disabled
one), 16 models and tools, tool arguments, time, source network, user risk, terms,
sensitivity, scopes and delegation, drawn with a fixed seed. aiposture is measured
with its entity cache warm (the gateway sees the same principals and tools over and
over) and cold (`entity_cache=0`: entities built and parsed for every request).
Casbin needs benchmarks/.venv-casbin (`python -m venv benchmarks/.venv-casbin &&
benchmarks/.venv-casbin/bin/pip install casbin==1.43.0`); it is never a dependency of
aiposture. The table also says how often the two engines agree on allow/deny.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from aiposture.identity.access import AccessPolicy, AccessRequest

HERE = Path(__file__).resolve().parent
CASBIN_PY = HERE / ".venv-casbin" / "bin" / "python"
POLICIES = Path(str(resources.files("aiposture").joinpath("data", "identity", "policies")))


@dataclass
class Who:
    name: str
    kind: str = "agent"
    app: str | None = None
    status: str = "active"
    owner: str | None = "alice"
    sponsors: list[str] = field(default_factory=lambda: ["alice"])
    tools: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=lambda: ["*"])
    attributes: dict = field(default_factory=dict)


PRINCIPALS = [
    Who("bob", kind="user", attributes={"department": "sales"}), Who("reporting", kind="app"),
    Who("invoice-agent", app="finance", tools=["search_kb"]),
    Who("support-bot", app="support-copilot", tools=["send_email", "search_kb"]),
    Who("ops-bot", tools=["deploy_service", "restart_*"]), Who("local-only", tools=["*"], models=["llama-*"]),
    Who("no-models", models=[]), Who("retired", tools=["*"], status="disabled"),
    Who("kb-agent", tools=["search_kb", "web_search"]),
]
TOOLS = ["search_kb", "web_search", "send_email", "payments/refund", "create_invoice", "deploy_service",
         "restart_service", "drop_database", "github/create_issue", "crm/export_contacts", "slack/post_message"]
MODELS = ["gpt-4o-mini", "claude-sonnet", "llama-3-70b", "mistral-large", "homebrew-7b"]
ARGUMENTS = [{}, {"amount": 250}, {"amount": 25000}, {"to": "ann@contoso.com"}, {"to": "eve@evil.example"},
             {"query": "refund policy for order 1234", "top_k": 5}]


def requests(n: int, seed: int = 8) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        who = rng.choice(PRINCIPALS)
        tool = rng.random() < 0.6
        ctx = {"time": rng.choice(["2026-12-02T10:00:00Z", "2026-12-02T21:30:00Z", "2026-12-05T11:00:00Z"]),
               "terms_accepted": rng.random() < 0.9, "user_risk": rng.choice(["low", "medium", "high", "unknown"]),
               "sensitivity": rng.choice(["public", "internal", "confidential", "restricted"]),
               "scopes": rng.choice([[], ["tool:deploy_*"], ["preapproved:send_*"], ["tool:*", "model:*"]])}
        if rng.random() < 0.8:
            ctx["source_ip"] = rng.choice(["10.4.5.6", "192.168.1.20", "203.0.113.7"])
        if who.kind == "agent" and rng.random() < 0.3:
            ctx["on_behalf_of"] = "bob"
        out.append({"principal": who.__dict__, "action": "call_tool" if tool else "invoke_model",
                    "resource": rng.choice(TOOLS if tool else MODELS),
                    "arguments": dict(rng.choice(ARGUMENTS)) if tool else {}, "context": ctx})
    return out


def _stats(ns: list[int]) -> dict:
    ns = sorted(ns)
    return {"p50": ns[len(ns) // 2] / 1000, "p99": ns[int(len(ns) * 0.99)] / 1000,
            "mean": statistics.fmean(ns) / 1000, "per_s": 1e9 / statistics.fmean(ns)}


def run_cedar(reqs: list[dict], entity_cache: int | None) -> tuple[dict, list[bool]]:
    policy = AccessPolicy.load(POLICIES) if entity_cache is None else AccessPolicy.load(POLICIES,
                                                                                      entity_cache=entity_cache)
    by_name = {p.name: p for p in PRINCIPALS}
    built = [AccessRequest(by_name[r["principal"]["name"]], r["action"], r["resource"], r["arguments"],
                           r["context"]) for r in reqs]
    for req in built[:2000]:
        policy.authorize(req)
    clock, times, allowed = time.perf_counter_ns, [], []
    gc.disable()
    try:
        for req in built:
            t0 = clock()
            decision = policy.authorize(req)
            times.append(clock() - t0)
            allowed.append(decision.allowed)
    finally:
        gc.enable()
    return _stats(times), allowed


def run_casbin(reqs: list[dict], core: int) -> tuple[dict, list[bool]] | None:
    if not CASBIN_PY.exists():
        print(f"(Casbin skipped: {CASBIN_PY} missing; see the docstring)", file=sys.stderr)
        return None
    catalog = yaml.safe_load((POLICIES / "catalog.yaml").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with src.open("w") as f:
            f.write(json.dumps({"catalog": catalog}) + "\n")
            f.writelines(json.dumps(r) + "\n" for r in reqs)
        subprocess.run([str(CASBIN_PY), str(HERE / "peers" / "casbin_run.py"), str(src), str(dst), str(core)],
                       check=True)
        rows = [json.loads(line) for line in dst.open()]
    return _stats([r["ns"] for r in rows]), [r["allowed"] for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--core", type=int, default=1)
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.core})
    reqs = requests(args.requests)
    warm, allowed = run_cedar(reqs, None)
    cold, _ = run_cedar(reqs, 0)
    casbin = run_casbin(reqs, args.core)
    rows = [("aiposture Cedar (cedarpy), entity cache warm", warm),
            ("aiposture Cedar, entities built per request", cold)]
    if casbin:
        rows.append(("Casbin (pycasbin 1.43) model of the same rules", casbin[0]))
    print(f"{len(reqs):,} requests, {sum(allowed):,} allowed, one pinned core (cpu {args.core})\n")
    print("| engine | p50 µs | p99 µs | mean µs | decisions/s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, s in rows:
        print(f"| {name} | {s['p50']:.0f} | {s['p99']:.0f} | {s['mean']:.0f} | {s['per_s']:,.0f} |")
    if casbin:
        agree = sum(a == b for a, b in zip(allowed, casbin[1], strict=True))
        print(f"\nallow/deny agreement Cedar vs Casbin: {agree:,} of {len(reqs):,}")


if __name__ == "__main__":
    main()
