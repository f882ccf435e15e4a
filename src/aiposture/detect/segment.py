"""Sentence spans of a text, for scoring a document one sentence at a time.

A document's classifier windows are 768 characters long: one injected sentence among
benign ones is diluted. Scoring each sentence on its own finds it, and the injection
detector gives the stacker the best sentence of a document.

Why not a sentence tokenizer from a library: this only needs cut points that are the
same at training and at run time, in every script, in linear time; the cuts are found
with numpy over the code points (a sentence ends after ., ! or ? followed by white space,
after 。, ！ or ？, and at every line break), so no regex runs and no offsets are converted.
Lengths count a CJK character (U+3000 and up) twice: its sentences are short in characters.
"""

from __future__ import annotations

import numpy as np

_WIDE = 0x3000
_NEWLINE = ord("\n")
# one lookup table per class of code point (BMP; astral code points are none of these)
_KIND = np.zeros(0x10001, dtype=np.uint8)
_STOP, _CJK_STOP, _SPACE = 1, 2, 4
for _c in ".!?":
    _KIND[ord(_c)] |= _STOP
for _c in "。！？":
    _KIND[ord(_c)] |= _CJK_STOP
for _c in " \t\r\n\f\v\u00a0\u3000":
    _KIND[ord(_c)] |= _SPACE
MIN_CHARS = 16  # shorter pieces are headings, list markers, numbers: nothing to judge
MAX_CHARS = 1000  # a longer "sentence" is a block without punctuation: the windows cover it
MAX_SENTENCES = 400


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the sentences of `text` worth scoring alone,
    in order, stripped of surrounding white space; at most MAX_SENTENCES."""
    if len(text) < MIN_CHARS:
        return []
    c = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    kind = _KIND[np.minimum(c, 0x10000)]
    cut = ((kind[:-1] & _STOP) != 0) & ((kind[1:] & _SPACE) != 0) | ((kind[:-1] & _CJK_STOP) != 0)
    cuts = np.flatnonzero(cut) + 1
    lines = np.flatnonzero(c == _NEWLINE)
    bounds = np.unique(np.concatenate(([0], cuts, lines, lines + 1, [len(c)])))
    # each piece without the white space around it: its first and last non-space character
    solid = np.flatnonzero((kind & _SPACE) == 0)
    if not len(solid):
        return []
    first = np.searchsorted(solid, bounds[:-1])
    last = np.searchsorted(solid, bounds[1:]) - 1
    keep = first <= last  # pieces of white space only have none
    starts = solid[np.minimum(first, len(solid) - 1)][keep]
    ends = solid[np.maximum(last, 0)][keep] + 1
    weight = ends - starts
    if not text.isascii():
        wide = np.concatenate(([0], np.cumsum(c >= _WIDE)))
        weight = weight + (wide[ends] - wide[starts])
    ok = (weight >= MIN_CHARS) & (ends - starts <= MAX_CHARS)
    return list(zip(starts[ok][:MAX_SENTENCES].tolist(), ends[ok][:MAX_SENTENCES].tolist(), strict=True))
