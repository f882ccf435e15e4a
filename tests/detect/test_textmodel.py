"""The hashed n-gram linear model: windowed scoring against a plain reference."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from aiposture.detect.textmodel import (
    MAX_BITS,
    STRIDE,
    WINDOW,
    LinearTextModel,
    hashed_ngrams_at,
    windows,
)

WORDS = ("the quarterly report shows revenue growth ignore previous instructions système "
         "请 忽略 之前 的 指示 SELECT id FROM users; 2026-03-02T10:14:07Z status=200").split()


def _model(bits: int, classes: int) -> LinearTextModel:
    rng = np.random.default_rng(bits * 10 + classes)
    return LinearTextModel(weights=rng.normal(size=(1 << bits, classes)).astype(np.float32),
                           extra=np.zeros((7, classes), np.float32), bias=np.zeros(classes, np.float32),
                           classes=tuple(f"C{i}" for i in range(classes)), bits=bits,
                           calibration=np.tile(np.array([1.0, 0.0], np.float32), (classes, 1)))


def _text(length: int, seed: int) -> str:
    r = random.Random(seed)
    out = ""
    while len(out) < length:
        out += r.choice(WORDS) + r.choice((" ", " ", "\n", ", "))
    return out[:length]


def _reference(model: LinearTextModel, text: str) -> np.ndarray:
    """Each window's n-grams, found by their start offset, summed one by one."""
    ids, pos = hashed_ngrams_at(text, MAX_BITS)
    ids = ids >> (MAX_BITS - model.bits)
    spans = windows(len(text))
    if len(spans) == 1:
        inside = [np.ones(len(ids), dtype=bool)]
    else:
        inside = [(pos >= s) & (pos < s + WINDOW) for s, _ in spans]
    rows = []
    for mask in inside:
        picked = ids[mask]
        rows.append(model.weights[picked].astype(np.float64).sum(axis=0) / math.sqrt(max(len(picked), 1)))
    return np.array(rows)


@pytest.mark.parametrize("bits,classes", [(MAX_BITS, 1), (16, 5)])
@pytest.mark.parametrize("length", [0, 1, 17, WINDOW, WINDOW + WINDOW // 2, WINDOW + WINDOW // 2 + 1,
                                    2 * WINDOW, 3 * STRIDE + 5, 4096, 4096 + STRIDE - 1, 9000])
def test_window_logits_equal_a_plain_sum_per_window(bits, classes, length):
    model = _model(bits, classes)
    text = _text(length, seed=length)
    got = model.window_logits(text)
    want = _reference(model, text)
    assert got.shape == (len(windows(len(text))), classes)
    assert np.allclose(got, want, atol=1e-4), (got - want).max()


def test_both_models_read_the_same_cached_ids_without_interference():
    """The injection (2^20) and content (2^16) tables shift the same cached ids; scoring
    one must not change what the other reads."""
    big, small = _model(MAX_BITS, 1), _model(16, 5)
    text = _text(4096, seed=9)
    first = small.window_logits(text).copy()
    big.window_logits(text)
    assert np.array_equal(small.window_logits(text), first)
    assert np.allclose(first, _reference(small, text), atol=1e-4)


def test_text_of_symbols_only_scores_without_words():
    model = _model(16, 5)
    text = "-=+*/|~^" * 400  # no word characters: only character n-grams
    assert np.allclose(model.window_logits(text), _reference(model, text), atol=1e-4)


@pytest.mark.parametrize("bits,classes", [(MAX_BITS, 1), (16, 5)])
def test_span_logits_equal_a_plain_sum_per_span(bits, classes):
    model = _model(bits, classes)
    text = _text(3000, seed=4)
    spans = [(0, 40), (100, 400), (2990, 3000), (1500, 1500)]
    ids, pos = hashed_ngrams_at(text, MAX_BITS)
    ids = ids >> (MAX_BITS - bits)
    got = model.span_logits(text, spans)
    for row, (s, e) in zip(got, spans, strict=True):
        picked = ids[(pos >= s) & (pos < e)]
        want = model.weights[picked].astype(np.float64).sum(axis=0) / math.sqrt(max(len(picked), 1))
        assert np.allclose(row, want, atol=1e-4)
    assert model.span_logits(text, []).shape == (0, classes)
