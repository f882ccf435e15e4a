"""Score the injection detector on `training/data/blind_eval.yaml`: texts written on
2026-12-02 by an engineer who had not seen the signatures, the training data or the
test errors. Never trained on; the check against tuning on the test split.

    .venv/bin/python benchmarks/blind_eval.py [--previous OLD.npz] [--current NEW.npz]

Prints AUC and TPR / FPR at the default 0.5 and at the model's stored validation
1%-FPR threshold, per direction; `--previous` scores older weights side by side.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))
from common import roc_auc  # noqa: E402

from aiposture.detect.injection.detector import InjectionDetector  # noqa: E402


def detector_from(path: Path | None) -> tuple[InjectionDetector, float]:
    if path is None:
        from importlib import resources
        with resources.as_file(resources.files("aiposture").joinpath("data", "models", "injection-v1.npz")) as p:
            return detector_from(Path(p))
    with np.load(path, allow_pickle=False) as z:
        thr = float(z["threshold_1pct_fpr"])
    return InjectionDetector.from_file(path), thr


def report(name: str, det: InjectionDetector, thr: float, items: list[dict]) -> None:
    for direction in ("prompt", "document", "all"):
        sel = [i for i in items if direction in ("all", i["direction"])]
        y = np.array([i["label"] for i in sel])
        s = np.array([det.score(i["text"], i["direction"]) for i in sel])
        cells = [f"{name:9} {direction:8} n={len(sel):3} attacks={int(y.sum()):3} AUC {roc_auc(y, s):.4f}"]
        for t in (0.5, thr):
            cells.append(f"@{t:.2f} TPR {np.mean(s[y == 1] >= t):.3f} FPR {np.mean(s[y == 0] >= t):.3f}")
        print(" | ".join(cells))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT / "training/data/blind_eval.yaml"))
    ap.add_argument("--previous", default=None)
    ap.add_argument("--current", default=None, help="weights to score as 'current' (default: the packaged ones)")
    args = ap.parse_args()
    items = yaml.safe_load(Path(args.data).read_text(encoding="utf-8"))["items"]
    if args.previous:
        report("previous", *detector_from(Path(args.previous)), items)
    report("current", *detector_from(Path(args.current) if args.current else None), items)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
