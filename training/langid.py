"""A small script-and-stopword language guess for per-language evaluation."""

from __future__ import annotations

import re

_STOP = {
    "en": {"the", "and", "you", "to", "of", "is", "your", "all", "what", "how", "with", "for", "this", "are"},
    "de": {"und", "die", "der", "das", "ist", "nicht", "du", "ich", "mit", "alle", "deine", "sie", "ein",
           "zu"},
    "fr": {"et", "les", "le", "la", "des", "est", "tu", "vous", "une", "pour", "ton", "toutes", "de", "que"},
    "es": {"y", "los", "las", "el", "la", "es", "tu", "una", "para", "que", "todas", "de", "por", "con"},
    "pt": {"e", "os", "as", "o", "a", "é", "você", "uma", "para", "que", "todas", "do", "da", "não", "seu"},
    "it": {"e", "gli", "le", "il", "la", "è", "tu", "una", "per", "che", "tutte", "di", "del", "non", "sei"},
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def guess(text: str) -> str:
    sample = text[:2000]
    kana = sum(1 for c in sample if "\u3040" <= c <= "\u30ff")
    han = sum(1 for c in sample if "\u4e00" <= c <= "\u9fff")
    cyr = sum(1 for c in sample if "\u0400" <= c <= "\u04ff")
    latin = sum(1 for c in sample if c.isascii() and c.isalpha())
    if kana >= 2:
        return "ja"
    if han >= 4 and han > latin / 4:
        return "zh"
    if cyr > latin:
        return "ru"
    words = [w.lower() for w in _WORD.findall(sample)]
    if not words:
        return "other"
    scores = {lang: sum(1 for w in words if w in stop) for lang, stop in _STOP.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] > 0 else "other"
