"""DLP benchmark: aiposture's `pii` detector vs presidio-analyzer, same corpus, same run.

    .venv/bin/python benchmarks/dlp_bench.py [--n 200] [--threshold 0.5]

1. builds benchmarks/.venv-presidio (presidio-analyzer + Faker) if it is missing and
   fetches presidio-evaluator's wheel for its templates (not installed: read with zipfile);
2. generates the corpus there (benchmarks/peers/dlp_corpus.py): per type, N sentences
   with a valid value and N with a checksum- or format-invalid decoy;
3. runs presidio offline (benchmarks/peers/presidio_run.py: no_op NLP engine, pattern
   recognisers only, all compared recognisers enabled for English);
4. runs aiposture's PiiDetector in this process, one core, timing detect() only;
   both sides are timed in CPU seconds of their process (`time.process_time`), so the
   figures do not depend on how busy the shared machine was;
5. prints per-type precision/recall side by side and throughput (MB/s) of both.

A prediction is a true positive when its type matches and its span overlaps the gold
span; every other prediction of that type anywhere in the corpus is a false positive.
Both tools are cut at the same score threshold (the default policy's 0.5).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv-presidio"
WORK = ROOT / "work"
PEER_PACKAGES = ["presidio-analyzer==2.2.366", "faker==40.54.0"]
EVALUATOR = "presidio-evaluator==0.3.2"
PRESIDIO_TYPES = {"ABA_ROUTING_NUMBER": "US_BANK_ROUTING", "ES_NIE": "ES_NIF"}
PRESIDIO_LACKS = {"FR_INSEE", "DATE_OF_BIRTH", "MEDICAL"}


def peer_python() -> Path:
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
    return py


def evaluator_wheel() -> Path | None:
    found = sorted((WORK / "wheels").glob("presidio_evaluator-*.whl"))
    if found:
        return found[-1]
    res = subprocess.run([str(peer_python()), "-m", "pip", "download", "-q", "--no-deps", "-d",
                          str(WORK / "wheels"), EVALUATOR], capture_output=True, text=True)
    found = sorted((WORK / "wheels").glob("presidio_evaluator-*.whl"))
    if res.returncode or not found:
        print("presidio-evaluator wheel not available: using our own templates only", file=sys.stderr)
        return None
    return found[-1]


def run_ours(rows: list[dict]) -> tuple[dict[str, list[dict]], float]:
    from aiposture.detect.pii import PiiDetector

    det = PiiDetector()
    det.detect("warm up 4111 1111 1111 1111 a@b.com")
    out: dict[str, list[dict]] = {}
    spent = float("inf")
    for _ in range(3):  # CPU time, best of three passes: the machine is shared
        t0 = time.process_time()
        found = [det.detect(row["text"]) for row in rows]
        spent = min(spent, time.process_time() - t0)
    for row, dets in zip(rows, found, strict=True):
        out[row["id"]] = [{"type": d.type, "start": d.start, "end": d.end, "score": d.score} for d in dets]
    return out, spent


def run_presidio(corpus: Path) -> tuple[dict[str, list[dict]], float]:
    dst = WORK / "dlp_presidio.jsonl"
    subprocess.run([str(peer_python()), str(ROOT / "peers" / "presidio_run.py"), str(corpus), str(dst)],
                   check=True)
    out: dict[str, list[dict]] = {}
    spent = 0.0
    for line in dst.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if "_timing" in rec:
            spent = rec["_timing"]
            continue
        out[rec["id"]] = [{**e, "type": PRESIDIO_TYPES.get(e["type"], e["type"])} for e in rec["entities"]]
    return out, spent


def score(rows: list[dict], predictions: dict[str, list[dict]], threshold: float) -> dict[str, dict]:
    stats: dict[str, dict] = {}
    for row in rows:
        preds = [p for p in predictions.get(row["id"], []) if p["score"] >= threshold]
        for kind in {row["type"], *(p["type"] for p in preds)}:
            s = stats.setdefault(kind, {"tp": 0, "fp": 0, "fn": 0})
            gold = [g for g in row["entities"] if g["type"] == kind]
            mine = [p for p in preds if p["type"] == kind]
            matched = set()
            for p in mine:
                hit = next((i for i, g in enumerate(gold) if i not in matched
                            and p["start"] < g["end"] and g["start"] < p["end"]), None)
                if hit is None:
                    s["fp"] += 1
                else:
                    matched.add(hit)
                    s["tp"] += 1
            s["fn"] += len(gold) - len(matched)
    for s in stats.values():
        s["precision"] = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else 1.0
        s["recall"] = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else 1.0
    return stats


def table(rows: list[dict], ours: dict, theirs: dict, threshold: float) -> list[str]:
    a, b = score(rows, ours, threshold), score(rows, theirs, threshold)
    c = score(rows, theirs, 0.0)  # presidio's results at any score
    kinds = list(dict.fromkeys(row["type"] for row in rows))
    n = {k: sum(1 for r in rows if r["type"] == k and r["kind"] == "valid") for k in kinds}
    lines = ["| type | valid / decoy | aiposture P | aiposture R | presidio P | presidio R "
             "| presidio P, any score | presidio R, any score |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for k in kinds:
        mine = a.get(k, {"precision": 1.0, "recall": 0.0})
        if k in PRESIDIO_LACKS:
            peer = "n/a (no such type) | n/a | n/a | n/a"
        else:
            p = b.get(k, {"precision": 1.0, "recall": 0.0})
            q = c.get(k, {"precision": 1.0, "recall": 0.0})
            peer = f"{p['precision']:.3f} | {p['recall']:.3f} | {q['precision']:.3f} | {q['recall']:.3f}"
        lines.append(f"| {k} | {n[k]} / {n[k]} | {mine['precision']:.3f} | {mine['recall']:.3f} | {peer} |")
    extra = sorted(set(b) - set(kinds))
    if extra:
        lines.append(f"\nPresidio types outside the corpus types (counted as nothing): {', '.join(extra)}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    corpus = WORK / "dlp_corpus.jsonl"
    cmd = [str(peer_python()), str(ROOT / "peers" / "dlp_corpus.py"), "--out", str(corpus),
           "--n", str(args.n), "--seed", str(args.seed)]
    wheel = evaluator_wheel()
    if wheel:
        cmd += ["--templates-wheel", str(wheel)]
    subprocess.run(cmd, check=True)
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    chars = sum(len(r["text"].encode("utf-8")) for r in rows)
    ours, t_ours = run_ours(rows)
    theirs, t_theirs = run_presidio(corpus)
    print(f"\nCorpus: {len(rows)} sentences, {chars / 1e6:.2f} MB, threshold {args.threshold}\n")
    print("\n".join(table(rows, ours, theirs, args.threshold)))
    mbps_ours, mbps_theirs = chars / t_ours / 1e6, chars / t_theirs / 1e6
    print("\n| tool | CPU time (s) | throughput (MB/s) | sentences/s |\n| --- | --- | --- | --- |")
    print(f"| aiposture pii | {t_ours:.3f} | {mbps_ours:.2f} | {len(rows) / t_ours:,.0f} |")
    print(f"| presidio-analyzer (no_op NLP) | {t_theirs:.3f} | {mbps_theirs:.3f} "
          f"| {len(rows) / t_theirs:,.0f} |")
    print(f"\nSpeed-up: {mbps_ours / mbps_theirs:.0f}x on the same corpus, one core each.")


if __name__ == "__main__":
    main()
