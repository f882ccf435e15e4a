"""Harmful-content detector: hate, sexual, violence, self-harm, dangerous instructions.

Two layers, per category:

1. a lexicon (data, RE2) of multilingual phrases with a severity 2/4/6, matched on
   the normalised text (so leetspeak, confusables and split letters do not hide a
   term);
2. a one-vs-rest linear classifier over the same hashed n-grams as the injection
   model (`data/models/content-v1.npz`, numpy only).

Combination (fitted on the validation split by `training/train_content.py`): per
category, `score = sigmoid(a * classifier_logit + b * max_lexicon_severity / 6 +
c * has_lexicon_hit + d)`, floored by the strongest lexicon phrase (LEXICON_FLOOR:
severity 6 -> 0.9, 4 -> 0.65). The severity reported follows Azure AI Content Safety's
0/2/4/6 scale: 0 below the reporting threshold, else the higher of the strongest
lexicon term's severity and the classifier's band (score < 0.75: 2, < 0.9: 4,
else 6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from aiposture.detect.content.lexicon import Lexicon, LexiconHit, default_lexicon
from aiposture.detect.normalize import feature_vector, normalize, too_short_for_a_classifier
from aiposture.detect.textmodel import LinearTextModel
from aiposture.model import Detection, Direction

MODEL_FILE = "content-v1.npz"
MAX_CHARS = 1_000_000
# A phrase that carries intent on its own sets a floor under the score: the stacked
# model sees too few lexicon hits on validation to learn their worth, and a
# severity-6 phrase ("how do I make a pipe bomb") must not depend on the classifier.
LEXICON_FLOOR = {6: 0.9, 4: 0.65, 2: 0.0, 0: 0.0}


def severity_band(score: float) -> int:
    return 2 if score < 0.75 else 4 if score < 0.9 else 6


@dataclass
class CategoryResult:
    category: str
    score: float
    classifier: float
    severity: int
    hits: list[LexiconHit]


@lru_cache(maxsize=1)
def _packaged() -> tuple[LinearTextModel, np.ndarray]:
    model = LinearTextModel.load_packaged(MODEL_FILE)
    ref = resources.files("aiposture").joinpath("data", "models", MODEL_FILE)
    with resources.as_file(ref) as p, np.load(p, allow_pickle=False) as z:
        combiner = z["combiner"].astype(np.float64)
    return model, combiner


def lexicon_features(hits: list[LexiconHit], category: str) -> tuple[float, float]:
    sev = max((h.severity for h in hits if h.category == category), default=0)
    return sev / 6.0, 1.0 if sev else 0.0


class ContentDetector:
    """`TextDetector` for harmful content, one Detection per category over threshold."""

    name = "content"

    def __init__(self, min_score: float = 0.5, lexicon: Lexicon | None = None,
                 model: LinearTextModel | None = None, combiner: np.ndarray | None = None) -> None:
        self.min_score = min_score
        self.lexicon = lexicon or default_lexicon()
        if model is None or combiner is None:
            pm, pc = _packaged()
            model = model or pm
            combiner = pc if combiner is None else combiner
        self.model = model
        self.combiner = np.asarray(combiner, dtype=np.float64)  # (K, 4)
        self.classes = model.classes

    def analyze(self, text: str) -> list[CategoryResult]:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        text = text[:MAX_CHARS]
        norm = normalize(text)
        if not norm.skeleton.strip():
            return [CategoryResult(c, 0.0, 0.0, 0, []) for c in self.classes]
        view = norm.skeleton if not norm.layers else \
            "\n".join([norm.skeleton] + [layer.view.skeleton for layer in norm.layers])
        hits = self.lexicon.scan(view)
        logits = self.model.logits(view, feature_vector(norm))
        logits = self.model.calibration[:, 0] * logits + self.model.calibration[:, 1]
        out = []
        too_short = too_short_for_a_classifier(norm.skeleton)  # then the lexicon alone decides
        for k, cat in enumerate(self.classes):
            sev, has = lexicon_features(hits, cat)
            a, b, c, d = self.combiner[k]
            z = a * float(logits[k]) + b * sev + c * has + d
            score = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            if too_short and not has:
                score = 0.0
            score = max(score, LEXICON_FLOOR[round(sev * 6)] if has else 0.0)
            clf = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, float(logits[k])))))
            cat_hits = [h for h in hits if h.category == cat]
            level = 0
            if score >= self.min_score:
                level = max([severity_band(score)] + [h.severity for h in cat_hits])
            out.append(CategoryResult(cat, score, clf, level, cat_hits))
        return out

    def scores(self, text: str) -> dict[str, float]:
        return {r.category: r.score for r in self.analyze(text)}

    def detect(self, text: str, direction: Direction = "prompt") -> list[Detection]:
        try:
            results = self.analyze(text)
        except Exception:  # a detector never raises on odd input  # noqa: BLE001
            return []
        src = text if isinstance(text, str) else ""
        dets = []
        lex = self.lexicon
        for r in results:
            if r.score < self.min_score:
                continue
            start, end = 0, len(src)
            explanation = {
                "severity": r.severity,
                "classifier_score": round(r.classifier, 4),
                "lexicon": [{"severity": h.severity, "term": _shown(h.term, r.category)} for h in r.hits[:8]],
                "category": lex.titles.get(r.category, r.category),
                "frameworks": lex.frameworks.get(r.category, {}),
                "model": MODEL_FILE,
            }
            score = round(min(1.0, max(0.0, r.score)), 6)
            dets.append(Detection(detector=self.name, type=r.category, start=start, end=end, score=score,
                                  text="", explanation=explanation))
        return dets


def _shown(term: str, category: str) -> str:
    """The matched phrase as the explanation shows it: slurs and explicit words are
    masked (first and last letter kept), other phrases cut to 60 characters."""
    term = " ".join(term.split())
    if category in ("HATE", "SEXUAL"):
        return term if len(term) <= 2 else term[0] + "*" * (len(term) - 2) + term[-1]
    return term if len(term) <= 60 else term[:57] + "..."

