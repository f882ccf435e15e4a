"""Train the injection detector's embedding classifier (an MLP over static embeddings).

Called by train_injection.py. The token table comes from distill_embeddings.py
(model2vec, in its own venv); here it is quantised to int8 exactly as it ships, the
runtime's own `StaticEmbeddingModel.features_of_ids` makes every feature row (so
training and inference cannot drift apart), and scikit-learn's MLPClassifier
(training only) fits the weights, which are exported as plain arrays.

Window labels follow the n-gram classifier's rule: a window of a long injected
document is positive only if it overlaps the injected payload, so the model learns
the instruction, not the document around it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from sklearn.neural_network import MLPClassifier

from aiposture.detect.staticembed import STRIDE_TOKENS, WINDOW_TOKENS, StaticEmbeddingModel, WordPiece, quantize

HIDDEN = 256
DIMS = 256


def load_model(cache: Path, dims: int = DIMS, window: int = WINDOW_TOKENS,
               stride: int = STRIDE_TOKENS) -> StaticEmbeddingModel:
    path = cache / f"minilm-static-{dims}.npz"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run training/distill_embeddings.py --dims {dims} in "
                         "training/.venv-embed first (make train does)")
    with np.load(path, allow_pickle=False) as z:
        vocab = [str(t) for t in z["tokens"]]
        table, scale = quantize(z["vectors"].astype(np.float32))
    dims = table.shape[1]
    return StaticEmbeddingModel(tokenizer=WordPiece(vocab), table=table, scale=scale,
                                w1=np.zeros((dims + 2, 1), np.float32), b1=np.zeros(1, np.float32),
                                w2=np.zeros(1, np.float32), b2=0.0, window=window, stride=stride)


def window_rows(model: StaticEmbeddingModel, texts: list[str], labels: list[int],
                payloads: list[str | None], sample_weights: np.ndarray | None = None):
    """(features, labels, weights, owner) with one row per scoring window."""
    feats, ys, ws, owner = [], [], [], []
    for i, (t, label, pay) in enumerate(zip(texts, labels, payloads, strict=True)):
        ids = model.tokenizer.ids(t)
        f, starts, ends = model.features_of_ids(ids)
        span = None
        if label == 1 and pay and len(starts) > 1:
            at = t.find(pay)
            if at >= 0:
                first = len(model.tokenizer.ids(t[:at]))
                span = (first, first + max(1, len(model.tokenizer.ids(pay))))
        weight = (1.0 if sample_weights is None else float(sample_weights[i])) / math.sqrt(len(starts))
        readable = model.readable(f)
        for k in range(len(starts)):
            if not readable[k]:
                continue
            y = label
            if span is not None:
                overlap = min(ends[k], span[1]) - max(starts[k], span[0])
                y = 1 if overlap >= min(10, span[1] - span[0], model.window // 2) else 0
            feats.append(f[k])
            ys.append(y)
            ws.append(weight)
            owner.append(i)
    return np.array(feats, dtype=np.float32), np.array(ys), np.array(ws), np.array(owner)


def fit(model: StaticEmbeddingModel, texts: list[str], labels: list[int], payloads: list[str | None],
        sample_weights: np.ndarray | None = None, seed: int = 0) -> StaticEmbeddingModel:
    X, y, w, _ = window_rows(model, texts, labels, payloads, sample_weights)
    clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), alpha=1e-4, batch_size=256, learning_rate_init=1e-3,
                        max_iter=200, early_stopping=True, validation_fraction=0.1, n_iter_no_change=6,
                        random_state=seed)
    clf.fit(X, y, sample_weight=w)
    print(f"embedding MLP: {clf.n_iter_} epochs, {len(X)} windows", flush=True)
    model.w1 = clf.coefs_[0].astype(np.float32)
    model.b1 = clf.intercepts_[0].astype(np.float32)
    model.w2 = clf.coefs_[1].astype(np.float32).ravel()
    model.b2 = float(clf.intercepts_[1][0])
    return model


def text_logits(model: StaticEmbeddingModel, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The runtime's raw score per text (the highest readable window's logit, 0 where
    none is readable) and which texts had a readable window."""
    raw = [model.logit(t) for t in texts]
    return np.array([0.0 if r is None else r for r in raw]), np.array([r is not None for r in raw])


def export_arrays(model: StaticEmbeddingModel, calibration: tuple[float, float]) -> dict[str, np.ndarray]:
    vocab = [""] * len(model.tokenizer.index)
    for tok, i in model.tokenizer.index.items():
        vocab[i] = tok
    return {"embed_vocab": np.array("\n".join(vocab)), "embed_table": model.table, "embed_scale": model.scale,
            "mlp_w1": model.w1, "mlp_b1": model.b1, "mlp_w2": model.w2,
            "mlp_b2": np.array([model.b2], dtype=np.float32),
            "embed_calibration": np.array(calibration, dtype=np.float32),
            "embed_window": np.int64(model.window), "embed_stride": np.int64(model.stride),
            "embed_max_piece_share": np.float64(model.max_piece_share)}
