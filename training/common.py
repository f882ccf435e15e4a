"""Shared helpers for the training scripts: features, metrics, model export."""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

from aiposture.detect.textmodel import hashed_ngrams_at, windows


def featurize(texts: list[str], extras: list[list[float]], bits: int, labels: list[int] | None = None,
              payloads: list[str | None] | None = None):
    """The runtime's features, one row per scoring window (see textmodel.windows):
    hashed n-grams / sqrt(#n-grams in the window), then the extra columns.

    Returns (X, y, weight, sample index per row). A window of a long positive text is
    labelled positive only if it overlaps the known injected `payload` (when given);
    windows of long texts are weighted 1/sqrt(#windows) so a long text does not count
    more than a short one."""
    rows, cols, vals, ys, ws, owner = [], [], [], [], [], []
    n_buckets = 1 << bits
    r = 0
    labels = labels if labels is not None else [0] * len(texts)
    payloads = payloads if payloads is not None else [None] * len(texts)
    for i, (t, ex) in enumerate(zip(texts, extras, strict=True)):
        idx, pos = hashed_ngrams_at(t, bits)
        spans = windows(len(t))
        pay = None
        if labels[i] == 1 and payloads[i] and len(spans) > 1:
            at = t.find(payloads[i])
            if at >= 0:
                pay = (at, at + len(payloads[i]))
        weight = 1.0 / math.sqrt(len(spans))
        for s0, e0 in spans:
            sel = idx[(pos >= s0) & (pos < e0)] if len(spans) > 1 else idx
            if len(sel):
                u, c = np.unique(sel, return_counts=True)
                rows.append(np.full(len(u), r))
                cols.append(u)
                vals.append(c / math.sqrt(len(sel)))
            if ex:
                rows.append(np.full(len(ex), r))
                cols.append(n_buckets + np.arange(len(ex)))
                vals.append(np.asarray(ex, dtype=np.float64))
            label = labels[i]
            if pay is not None:
                overlap = min(e0, pay[1]) - max(s0, pay[0])
                label = 1 if overlap >= min(40, pay[1] - pay[0]) else 0
            ys.append(label)
            ws.append(weight)
            owner.append(i)
            r += 1
    n_extra = len(extras[0]) if extras and extras[0] else 0
    X = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(r, n_buckets + n_extra))
    return X, np.array(ys), np.array(ws), np.array(owner)


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
