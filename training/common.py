"""Shared helpers for the training scripts: features, metrics, model export."""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

from aiposture.detect.textmodel import WINDOW, hashed_ngrams


def featurize(texts: list[str], extras: list[list[float]], bits: int) -> sparse.csr_matrix:
    """The runtime's features: hashed n-grams / sqrt(#n-grams), then extra columns."""
    rows, cols, vals = [], [], []
    n_buckets = 1 << bits
    for i, (t, ex) in enumerate(zip(texts, extras, strict=True)):
        idx = hashed_ngrams(t[: WINDOW + WINDOW // 2], bits)
        if len(idx):
            u, c = np.unique(idx, return_counts=True)
            rows.append(np.full(len(u), i))
            cols.append(u)
            vals.append(c / math.sqrt(len(idx)))
        if ex:
            rows.append(np.full(len(ex), i))
            cols.append(n_buckets + np.arange(len(ex)))
            vals.append(np.asarray(ex, dtype=np.float64))
    n_extra = len(extras[0]) if extras and extras[0] else 0
    return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(len(texts), n_buckets + n_extra))


def roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    y = np.asarray(y)
    s = np.asarray(s, dtype=np.float64)
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    allv = np.concatenate([pos, neg])[order]
    # average ranks for ties
    i = 0
    r = np.arange(1, len(allv) + 1, dtype=np.float64)
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1] == allv[i]:
            j += 1
        r[i:j + 1] = (i + j + 2) / 2
        i = j + 1
    ranks[order] = r
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def tpr_at_fpr(y: np.ndarray, s: np.ndarray, fpr: float = 0.01) -> tuple[float, float]:
    """(TPR, threshold) at the largest threshold keeping the benign false-positive rate <= fpr."""
    y = np.asarray(y)
    s = np.asarray(s, dtype=np.float64)
    neg = np.sort(s[y == 0])[::-1]
    pos = s[y == 1]
    if len(neg) == 0 or len(pos) == 0:
        return float("nan"), float("nan")
    k = int(math.floor(fpr * len(neg)))
    thr = neg[k] if k < len(neg) else -np.inf
    return float(np.mean(pos > thr)), float(thr)


def rate_at(y: np.ndarray, s: np.ndarray, thr: float) -> tuple[float, float]:
    y = np.asarray(y)
    s = np.asarray(s)
    tpr = float(np.mean(s[y == 1] >= thr)) if (y == 1).any() else float("nan")
    fpr = float(np.mean(s[y == 0] >= thr)) if (y == 0).any() else float("nan")
    return tpr, fpr
