"""Prompt-injection benchmark: aiposture's `injection` detector vs offline peers, same run.

    .venv/bin/python benchmarks/injection_bench.py [--peer-sample 1000] [--install]

Needs the train extra (`pip install -e '.[train]'`): the test split is rebuilt with the
training code (training/train_injection.py: same corpus, same near-duplicate-aware
split), so the figures are on text the model never saw.

1. our detector scores the whole test split (and the peer sample) in this process;
2. peers score a stratified sample of the split (every document, prompts at random),
   each in its own venv under benchmarks/ (built with --install):
   - metatronnanoguard 0.1.0 (17M-parameter transformer, CPU torch, one thread);
   - rebuff 0.1.1 heuristics (its only offline layer) on a smaller subset
     (--rebuff-sample), each call capped at --cap CPU seconds;
   - LLM Guard 0.3.16 InvisibleText (its PromptInjection scanner downloads a model
     from a hub at start and cannot run here);
3. prints AUC, TPR at 1% FPR (threshold set on each tool's own benign scores), TPR and
   FPR at each tool's default threshold, per direction, and CPU time per prompt
   (`time.process_time` of the scoring call, so a busy machine does not skew it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
WORK = ROOT / "work"
OUT = ROOT / "out"
sys.path.insert(0, str(REPO / "training"))
sys.path.insert(0, str(REPO / "src"))

PEERS = {
    "metatronnanoguard 0.1.0": (".venv-nanoguard", "nanoguard_run.py",
                                ["torch==2.13.0", "metatronnanoguard==0.1.0"], 0.5),
    "rebuff 0.1.1 heuristics": (".venv-rebuff", "rebuff_run.py", ["--no-deps", "rebuff==0.1.1"], 0.75),
    "LLM Guard 0.3.16 InvisibleText": (".venv-llmguard", "llmguard_run.py",
                                       ["torch==2.13.0", "llm-guard==0.3.16"], 0.5),
}
NOT_RUNNABLE = {
    "LLM Guard PromptInjection": ("downloads protectai/deberta-v3-base-prompt-injection-v2 from a hub "
                                  "at start"),
    "Llama Prompt Guard 2": "weights are on a hub (gated), not on PyPI",
}


def build_split() -> list[dict]:
    from common import roc_auc  # noqa: F401  (training helpers on the path)
    from split import assign_splits
    from train_injection import build_corpus

    corpus = build_corpus(REPO / "training" / ".cache")
    splits, _ = assign_splits([s.text for s in corpus], [s.group for s in corpus],
                              forced=[s.meta.get("split") for s in corpus])
    return [{"id": i, "text": s.text, "label": s.label, "direction": s.direction, "lang": s.lang,
             "source": s.source}
            for i, (s, sp) in enumerate(zip(corpus, splits, strict=True)) if sp == "test"]


def metrics(y: np.ndarray, s: np.ndarray, thr: float) -> dict:
    from common import roc_auc, tpr_at_fpr

    tpr1, _ = tpr_at_fpr(y, s)
    return {"auc": roc_auc(y, s), "tpr_at_1pct_fpr": tpr1,
            "tpr_at_default": float(np.mean(s[y == 1] >= thr)) if (y == 1).any() else float("nan"),
            "fpr_at_default": float(np.mean(s[y == 0] >= thr)) if (y == 0).any() else float("nan")}


def run_ours(rows: list[dict], weights: str | None = None) -> dict[int, tuple[float, float]]:
    """Scores of the packaged detector, or of the same code with another weights file."""
    from aiposture.detect.injection import InjectionDetector

    det = InjectionDetector.from_file(weights) if weights else InjectionDetector()
    det.score("warm up")
    out = {}
    for r in rows:
        t0 = time.process_time()
        s = det.score(r["text"], r["direction"])
        out[r["id"]] = (s, time.process_time() - t0)
    return out


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _cache(venv: str) -> tuple[Path, dict[str, tuple]]:
    """Peer scores by text hash (peers do not depend on our model, so a rerun after
    retraining only scores texts the peer has not seen)."""
    path = WORK / f"injection_{venv.strip('.')}_cache.jsonl"
    cache: dict[str, tuple] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            d = json.loads(line)
            cache[d["key"]] = (d["score"], d["cpu_s"], d.get("timeout", False))
    return path, cache


def run_peer(name: str, rows: list[dict], install: bool, cap: float) -> dict | None:
    venv, script, packages, _thr = PEERS[name]
    py = ROOT / venv / "bin" / "python"
    if not py.exists():
        if not install:
            return None
        subprocess.run([sys.executable, "-m", "venv", str(ROOT / venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *packages], check=True)
    WORK.mkdir(exist_ok=True)
    cache_path, cache = _cache(venv)
    todo = [r for r in rows if _key(r["text"]) not in cache]
    if todo:
        src = WORK / f"injection_{venv.strip('.')}_input.jsonl"
        dst = WORK / f"injection_{venv.strip('.')}_output.jsonl"
        src.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in todo))
        cmd = [str(py), str(ROOT / "peers" / script), str(src), str(dst)]
        if script == "rebuff_run.py":
            cmd.append(str(cap))
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            print(f"{name} failed: {res.stderr[-800:]}", file=sys.stderr)
            err = res.stderr.strip()
            return {"error": err.splitlines()[-1] if err else f"exit {res.returncode}"}
        by_id = {r["id"]: r for r in todo}
        with cache_path.open("a") as f:
            for line in dst.read_text().splitlines():
                d = json.loads(line)
                k = _key(by_id[d["id"]]["text"])
                cache[k] = (d["score"], d["cpu_s"], d.get("timeout", False))
                f.write(json.dumps({"key": k, "score": d["score"], "cpu_s": d["cpu_s"],
                                    "timeout": d.get("timeout", False)}) + "\n")
    return {r["id"]: cache[_key(r["text"])] for r in rows}


def summarise(name: str, rows: list[dict], scores: dict, thr: float) -> dict:
    y = np.array([r["label"] for r in rows])
    s = np.array([scores[r["id"]][0] for r in rows], dtype=np.float64)
    cpu = np.array([scores[r["id"]][1] for r in rows]) * 1000
    d = np.array([r["direction"] for r in rows])
    res = {"tool": name, "n": len(rows), **metrics(y, s, thr), "threshold": thr,
           "cpu_ms_p50": float(np.percentile(cpu, 50)), "cpu_ms_p99": float(np.percentile(cpu, 99)),
           "timeouts": int(sum(1 for r in rows if len(scores[r["id"]]) > 2 and scores[r["id"]][2]))}
    for direction in ("prompt", "document"):
        m = d == direction
        if m.any():
            res[direction] = metrics(y[m], s[m], thr)
    return res


def sample(rows: list[dict], n: int) -> list[dict]:
    """Documents (up to a quarter of n) and prompts with the smallest text hashes: a
    deterministic sample that stays the same when the split gains or loses a few texts."""
    docs = sorted((r for r in rows if r["direction"] == "document"), key=lambda r: _key(r["text"]))
    prompts = sorted((r for r in rows if r["direction"] != "document"), key=lambda r: _key(r["text"]))
    docs = docs[: n // 4]
    return sorted(docs + prompts[: max(0, n - len(docs))], key=lambda r: r["id"])


def table(results: list[dict]) -> str:
    lines = ["| tool | n | AUC | TPR @ 1% FPR | TPR / FPR at default threshold | prompts AUC | documents AUC "
             "| CPU ms p50 / p99 | time-outs |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['tool']} | — | could not run: {r['error']} | | | | | | |")
            continue
        lines.append(
            f"| {r['tool']} | {r['n']} | {r['auc']:.4f} | {r['tpr_at_1pct_fpr']:.1%} | "
            f"{r['tpr_at_default']:.1%} / {r['fpr_at_default']:.1%} (≥ {r['threshold']}) | "
            f"{r.get('prompt', {}).get('auc', float('nan')):.4f} | "
            f"{r.get('document', {}).get('auc', float('nan')):.4f} | "
            f"{r['cpu_ms_p50']:.2f} / {r['cpu_ms_p99']:.2f} | {r['timeouts']} |")
    for name, why in NOT_RUNNABLE.items():
        lines.append(f"| {name} | — | cannot run offline: {why} | | | | | | |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer-sample", type=int, default=1000)
    ap.add_argument("--cap", type=float, default=2.0, help="rebuff per-call cap, CPU seconds")
    ap.add_argument("--rebuff-sample", type=int, default=200,
                    help="rebuff takes 0.5-2 CPU s per prompt: it scores this subset of the peer sample")
    ap.add_argument("--install", action="store_true", help="build missing peer venvs")
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--previous", default=None,
                    help="also score the full split with this weights file (e.g. the last shipped one)")
    args = ap.parse_args()
    rows = build_split()
    peer_rows = sample(rows, args.peer_sample)
    ours = run_ours(rows)
    results = [summarise("aiposture injection (full test split)", rows, ours, 0.5),
               summarise("aiposture injection (peer sample)", peer_rows, ours, 0.5)]
    if args.previous:
        results.append(summarise(f"aiposture, weights {Path(args.previous).name} (full test split)", rows,
                                 run_ours(rows, args.previous), 0.5))
    rebuff_rows = sample(peer_rows, args.rebuff_sample)
    for name in [p for p in args.peers.split(",") if p in PEERS]:
        rows_for = rebuff_rows if name.startswith("rebuff") else peer_rows
        got = run_peer(name, rows_for, args.install, args.cap)
        if got is None:
            results.append({"tool": name,
                            "error": f"not installed (run with --install to build {PEERS[name][0]})"})
        elif "error" in got:
            results.append({"tool": name, "error": got["error"]})
        else:
            if name.startswith("rebuff"):
                results.append(summarise("aiposture injection (rebuff sample)", rows_for, ours, 0.5))
            results.append(summarise(name, rows_for, got, PEERS[name][3]))
    per_lang = _slices(rows, ours, "lang")
    per_direction = _slices(rows, ours, "direction")
    OUT.mkdir(exist_ok=True)
    report = {"results": results, "per_language": per_lang, "per_direction": per_direction}
    (OUT / "injection_bench.json").write_text(json.dumps(report, indent=1))
    print(table(results))
    for key, per in (("language", per_lang), ("direction", per_direction)):
        print()
        print(f"| {key} | n | attacks | AUC | TPR @ 1% FPR | TPR / FPR at 0.5 |")
        print("|---|---|---|---|---|---|")
        for name, m in per.items():
            print(f"| {name} | {m['n']} | {m['attacks']} | {m['auc']:.4f} | {m['tpr_at_1pct_fpr']:.1%} | "
                  f"{m['tpr_at_default']:.1%} / {m['fpr_at_default']:.1%} |")
    return 0


def _slices(rows: list[dict], ours: dict, key: str) -> dict[str, dict]:
    """Our metrics per value of `key` (language, direction); TPR at 1% FPR uses the
    slice's own benign texts."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r[key], []).append(r)
    out = {}
    for name, rs in sorted(groups.items()):
        y = np.array([r["label"] for r in rs])
        s = np.array([ours[r["id"]][0] for r in rs])
        out[name] = {"n": len(rs), "attacks": int(y.sum()), **metrics(y, s, 0.5)}
    return out


if __name__ == "__main__":
    raise SystemExit(main())
