"""Benign enterprise requests (training/data/business.yaml): hard negatives for the
injection classifier and a held-out set that measures its false positives on them.

    .venv/bin/python training/business.py [--model PATH.npz]   # FP rate of the default guard

The generated prompts are split once, here, into a training part and a held-out part by
the corpus split's own rule (`split.assign_splits`: a template and all its fillings are
one group, near-duplicates by MinHash are united with it, each component goes wholly to
one side), so no held-out prompt has a near-duplicate on the training side. Only the
training part enters the corpus (`business_samples`); the held-out part is never trained
on, and the model is not selected on it either.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import yaml
from sources import Sample
from split import assign_splits

DATA = Path(__file__).resolve().parent / "data" / "business.yaml"
HELD_OUT_SHARE = 0.4
FILLINGS_PER_TEMPLATE = 4


def _generate(seed: int = 4321) -> list[Sample]:
    rng = random.Random(seed)
    table = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    out: list[Sample] = []
    for lang, spec in table.items():
        pairs = spec["pairs"]
        for ti, tpl in enumerate(spec["templates"]):
            for doc, items in rng.sample(pairs, min(FILLINGS_PER_TEMPLATE, len(pairs))):
                out.append(Sample(tpl.replace("{doc}", doc).replace("{items}", items), 0, "authored-business",
                                  f"business:{lang}:t{ti}", lang=lang, category="benign_business"))
        for key in ("fixed", "more"):
            for fi, text in enumerate(spec.get(key, [])):
                out.append(Sample(text, 0, "authored-business", f"business:{lang}:{key[0]}{fi}", lang=lang,
                                  category="benign_business"))
    return out


def business_split() -> tuple[list[Sample], list[Sample]]:
    """(training part, held-out part), deterministic."""
    samples = _generate()
    sides, _ = assign_splits([s.text for s in samples], [s.group for s in samples],
                             ratios=(1 - HELD_OUT_SHARE, HELD_OUT_SHARE, 0.0))
    train = [s for s, side in zip(samples, sides, strict=True) if side == "train"]
    held = [s for s, side in zip(samples, sides, strict=True) if side != "train"]
    return train, held


def business_samples() -> list[Sample]:
    return business_split()[0]


def held_out() -> list[Sample]:
    return business_split()[1]


def false_positives(model: Path | None = None, threshold: float = 0.5) -> dict:
    """Injection scores of the held-out prompts as prompts through the detector the
    default guard runs (packaged weights, or `model`): the share at or above `threshold`."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

    from aiposture.detect.injection import InjectionDetector

    det = InjectionDetector(min_score=0.0) if model is None else InjectionDetector.from_file(model, min_score=0.0)
    rows = []
    for s in held_out():
        hits = det.detect(s.text, "prompt")
        rows.append((s.lang, max((h.score for h in hits), default=0.0), s.text))
    by_lang: dict[str, list[int]] = {}
    for lang, score, _ in rows:
        by_lang.setdefault(lang, [0, 0])
        by_lang[lang][0] += score >= threshold
        by_lang[lang][1] += 1
    flagged = sum(score >= threshold for _, score, _ in rows)
    return {"held_out": len(rows), "flagged": flagged, "fp_rate": flagged / max(1, len(rows)),
            "by_language": {k: {"flagged": v[0], "n": v[1]} for k, v in sorted(by_lang.items())},
            "flagged_texts": sorted(((round(sc, 3), t) for _, sc, t in rows if sc >= threshold), reverse=True)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=None, help="an injection .npz (default: the packaged one)")
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()
    train, held = business_split()
    report = false_positives(args.model, args.threshold)
    report["training_part"] = len(train)
    print(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
