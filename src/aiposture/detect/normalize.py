"""Undo the obfuscations attackers use to slip instructions past a detector.

`normalize(text)` returns a `Normalized` view of untrusted text:

- `clean`: the text with zero-width, bidi-control, variation-selector and Unicode
  tag characters removed (same letters, same case otherwise);
- `skeleton`: `clean` after NFKC, casefolding, folding of Latin look-alikes
  (Cyrillic/Greek/Armenian/Cherokee confusables, data in
  `data/detect/confusables.yaml`) inside mixed-script words, leetspeak folding
  inside words that mix letters and digits (``1gn0r3`` -> ``ignore``) and
  re-joining of split characters (``i g n o r e`` -> ``ignore``);
- `hidden`: ASCII smuggled in Unicode tag characters (U+E0020..E007E) or in
  variation selectors (one byte per selector), decoded;
- `layers`: base64, hex and ``\\xNN`` segments embedded in the text, and runs of HTML
  numeric entities (``&#73;&#103;``), code-point escapes (``\\u0049``, ``U+0049``) and
  percent-encoding (``%49%67``), decoded when they decode to mostly printable text,
  and normalised again (depth <= 3, at most 16 segments and 64 KB of decoded text in all);
- `rot13`: the skeleton rotated by 13, for signature matching only;
- `reversed`: the skeleton read backwards ("snoitcurtsni suoiverp erongi"), for
  signature matching only;
- `features`: counts of each trick seen, fed to the classifier.

Every pass is a `str.translate`, `unicodedata.normalize` or an RE2 scan, so the
work is linear in the length of the text; RE2 is the only regex engine used on
untrusted text.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import re2
import yaml

from aiposture.detect.decoders import DECODERS, printable_ratio

MAX_DEPTH = 3
MAX_SEGMENTS = 16
MAX_DECODED_CHARS = 65536

_ZERO_WIDTH = (
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180E, 0x180F,
     0x3164, 0xFEFF, 0xFFA0]
    + list(range(0x200B, 0x2010))  # ZWSP, ZWNJ, ZWJ, LRM, RLM
    + list(range(0x202A, 0x202F))  # bidi embeddings and overrides
    + list(range(0x2060, 0x2070))  # word joiner, invisible operators, bidi isolates
)
_VARIATION_SELECTORS = list(range(0xFE00, 0xFE10)) + list(range(0xE0100, 0xE01F0))
_TAGS = list(range(0xE0000, 0xE0080))
_INVISIBLE_TABLE = {cp: None for cp in _ZERO_WIDTH + _VARIATION_SELECTORS + _TAGS}

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "@": "a", "$": "s", "!": "i", "|": "l", "+": "t", "€": "e"})

_INVISIBLE_RE = re2.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_TAG_RUN_RE = re2.compile("[\U000e0000-\U000e007f]+")
_VS_RUN_RE = re2.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]{4,}")
_MIXED_WORD_RE = re2.compile(r"[\p{L}\p{M}]*(?:\p{Latin}[\p{L}\p{M}]*[^\p{Latin}\P{L}]|"
                             r"[^\p{Latin}\P{L}][\p{L}\p{M}]*\p{Latin})[\p{L}\p{M}]*")
_LEET_WORD_RE = re2.compile(r"[a-z0-9@$!|+€]*(?:[a-z][0-9@$!|+€]|[0-9@$!|+€][a-z])[a-z0-9@$!|+€]*")
# Patterns run over the UTF-8 bytes where many matches are expected: on a str, the re2
# wrapper turns every match's byte offsets into character offsets by re-measuring the
# text before it (about 10 us a match on 4 KB). Matching is the same (the wrapper hands
# RE2 the same UTF-8 bytes); only the offsets are bytes, and they fall on character
# boundaries because each pattern matches whole characters.
_LEET_WORD_BYTES_RE = re2.compile(_LEET_WORD_RE.pattern.encode("utf-8"))
_SPLIT_RE = re2.compile(r"(?:^|\b|\s)((?:\w[ .\-_*/|·]{1,2}){3,}\w)\b")
_SPLIT_SEP_RE = re2.compile(r"[ .\-_*/|·]")
_ALPHA_RE = re2.compile(r"[A-Za-z]")
# Text a renderer hides from the human reader but a model reads: HTML comments, markdown
# link-reference comments, and elements styled invisible. Each group 1 is the hidden
# text. RE2 keeps the lazy quantifiers linear; each hidden text is cut to MAX_CONCEALED_CHARS.
MAX_CONCEALED = 8
MAX_CONCEALED_CHARS = 4000
_CONCEALED_RES = (
    ("html-comment", re2.compile(r"(?s)<!--(.+?)-->")),
    ("markdown-comment", re2.compile(r"(?m)^[ \t]*\[//\]:[ \t]*#[ \t]*\((.+)\)[ \t]*$")),
    ("hidden-style", re2.compile(
        r"(?is)<(?:span|div|p|font|section|td)\b[^>]{0,300}?style[ \t]*=[ \t]*[\"'][^\"'>]{0,300}?"
        r"(?:display[ \t]*:[ \t]*none|visibility[ \t]*:[ \t]*hidden|font-size[ \t]*:[ \t]*0(?:px|pt|em)?[ \t]*[;\"']|"
        r"opacity[ \t]*:[ \t]*0(?:\.0+)?[ \t]*[;\"']|color[ \t]*:[ \t]*(?:white|#fff(?:fff)?)\b)"
        r"[^>]{0,300}>(.+?)</")),
)


@dataclass(frozen=True)
class Layer:
    """One decoded segment: how it was encoded, where it sat in its parent, and its
    normalised contents."""

    kind: str  # "base64", "hex", "tags", "variation-selectors"; concealed: "html-comment", ...
    start: int
    end: int
    view: Normalized
    depth: int = 1


@dataclass
class Normalized:
    original: str
    clean: str
    skeleton: str
    hidden: str = ""
    rot13: str = ""
    layers: list[Layer] = field(default_factory=list)
    features: dict[str, int] = field(default_factory=dict)
    # hidden from a human reader (comments, invisible styles), normalised on their own;
    # not in `views()`: their text is part of the text view already
    concealed: list[Layer] = field(default_factory=list)

    def views(self) -> list[tuple[str, str]]:
        """(layer name, text) pairs worth matching signatures against, without repeats."""
        out: list[tuple[str, str]] = [("text", self.clean)]
        if self.skeleton != self.clean.casefold():
            out.append(("normalized", self.skeleton))
        for layer in self.layers:
            out.append((layer.kind, layer.view.skeleton))
        return out

    def signature_views(self) -> list[tuple[str, str]]:
        """`views()` plus the views only signatures read: ROT13, and the text backwards
        ("snoitcurtsni suoiverp erongi"); one RE2 Set pass each (0.015 ms per 4 KB)."""
        out = self.views()
        if self.rot13:
            out.append(("rot13", self.rot13))
        if self.skeleton.strip():
            out.append(("reversed", self.skeleton[::-1]))
        return out


@lru_cache(maxsize=1)
def confusables() -> dict[int, str]:
    """The look-alike -> Latin map, read once from package data."""
    raw = resources.files("aiposture").joinpath("data", "detect", "confusables.yaml").read_text("utf-8")
    doc = yaml.safe_load(raw)
    return {int(k, 16): str(v) for k, v in doc["map"].items()}


def _decode_smuggled(text: str, features: dict[str, int]) -> str:
    """ASCII hidden in tag characters, and bytes hidden in variation selectors."""
    hidden: list[str] = []
    for m in _TAG_RUN_RE.finditer(text):
        run = m.group(0)
        features["tag_chars"] = features.get("tag_chars", 0) + len(run)
        hidden.append("".join(chr(ord(c) - 0xE0000) for c in run if 0xE0020 <= ord(c) <= 0xE007E))
    for m in _VS_RUN_RE.finditer(text):
        data = bytes((ord(c) - 0xFE00) if ord(c) < 0xFE10 else (ord(c) - 0xE0100 + 16) for c in m.group(0))
        decoded = data.decode("utf-8", "ignore")
        if printable_ratio(decoded) >= 0.9:
            features["variation_selector_bytes"] = features.get("variation_selector_bytes", 0) + len(data)
            hidden.append(decoded)
    return " ".join(h for h in hidden if h)


def _fold_mixed_script(text: str, features: dict[str, int]) -> str:
    table = confusables()
    count = 0

    def fold(m: re2._Match) -> str:
        nonlocal count
        word = m.group(0)
        folded = word.translate(table)
        if folded != word:
            count += 1
        return folded

    out = _MIXED_WORD_RE.sub(fold, text)
    if count:
        features["confusables"] = count
    return out


def _fold_leet(text: str, features: dict[str, int]) -> str:
    raw = text.encode("utf-8", "surrogatepass")
    pieces: list[bytes] = []
    count, done = 0, 0
    for m in _LEET_WORD_BYTES_RE.finditer(raw):
        start, end = m.span()
        word = raw[start:end].decode("utf-8")  # a match is whole characters: ASCII and "€"
        letters = sum(c.isalpha() for c in word)
        if letters < 2 or letters * 2 < len(word):  # "4k", "v2", "2024" stay as they are
            continue
        count += 1
        pieces += [raw[done:start], word.translate(_LEET).encode("utf-8")]
        done = end
    if not count:
        return text
    features["leetspeak"] = count
    pieces.append(raw[done:])
    return b"".join(pieces).decode("utf-8", "surrogatepass")


def _join_split(text: str, features: dict[str, int]) -> str:
    count = 0

    def join(m: re2._Match) -> str:
        nonlocal count
        count += 1
        whole = m.group(0)
        lead = whole[: len(whole) - len(m.group(1))]
        return lead + _SPLIT_SEP_RE.sub("", m.group(1))

    out = _SPLIT_RE.sub(join, text)
    if count:
        features["split_chars"] = count
    return out


def _decode_layers(text: str, depth: int, budget: list[int]) -> list[Layer]:
    """Embedded encoded segments, decoded and normalised again (bounded)."""
    if depth > MAX_DEPTH:
        return []
    layers: list[Layer] = []
    raw = text.encode("utf-8", "surrogatepass")
    ascii_text = len(raw) == len(text)
    for kind, pattern, decode in DECODERS:
        for m in pattern.finditer(raw):
            if budget[0] <= 0 or budget[1] <= 0:
                return layers
            b0, b1 = m.span()
            if b1 - b0 > MAX_DECODED_CHARS * 2:
                continue
            decoded = decode(raw[b0:b1].decode("ascii"))  # both patterns match ASCII only
            if decoded is None:
                continue
            budget[0] -= 1
            budget[1] -= len(decoded)
            view = _normalize(decoded[:MAX_DECODED_CHARS], depth + 1, budget)
            start = b0 if ascii_text else len(raw[:b0].decode("utf-8", "surrogatepass"))
            layers.append(Layer(kind=kind, start=start, end=start + (b1 - b0), view=view, depth=depth))
            layers.extend(view.layers)
    return layers


def normalize(text: str) -> Normalized:
    """Normalise untrusted text; never raises on odd input. The last few results are
    cached, so detectors run one after another on the same text (the guard runs
    injection, then content) normalise it once; callers must not mutate the result."""
    if not isinstance(text, str):
        text = str(text)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates (JSON "\ud800"): RE2 cannot take them, and
            text = text.encode("utf-8", "replace").decode("utf-8")  # an error must not mean "nothing found"
    if len(text) <= CACHE_MAX_CHARS:
        return _normalize_cached(text)
    return _normalize(text, 1, [MAX_SEGMENTS, MAX_DECODED_CHARS])


CACHE_MAX_CHARS = 262_144


@lru_cache(maxsize=16)
def _normalize_cached(text: str) -> Normalized:
    return _normalize(text, 1, [MAX_SEGMENTS, MAX_DECODED_CHARS])


def _normalize(text: str, depth: int, budget: list[int]) -> Normalized:
    features: dict[str, int] = {}
    hidden = ""
    if text.isascii():
        clean = text
        skeleton = text.lower()
    else:
        if _INVISIBLE_RE.search(text):
            hidden = _decode_smuggled(text, features)
            clean = text.translate(_INVISIBLE_TABLE)
            features["invisible"] = len(text) - len(clean)
        else:
            clean = text
        skeleton = unicodedata.normalize("NFKC", clean).casefold()
        if not skeleton.isascii():
            skeleton = _fold_mixed_script(skeleton, features)
    skeleton = _fold_leet(skeleton, features)
    skeleton = _join_split(skeleton, features)
    layers = _decode_layers(clean, depth, budget) if depth <= MAX_DEPTH else []
    if hidden:
        hidden_view = _normalize(hidden, depth + 1, budget)
        layers.insert(0, Layer(kind="tags", start=0, end=len(text), view=hidden_view, depth=depth))
        hidden = hidden_view.skeleton
    if layers:
        features["decoded_segments"] = len(layers)
    rot13 = _rot13(skeleton) if _ALPHA_RE.search(skeleton) else ""
    concealed = _concealed(clean, depth, budget) if depth == 1 else []
    if concealed:
        features["concealed"] = len(concealed)
    return Normalized(original=text, clean=clean, skeleton=skeleton, hidden=hidden, rot13=rot13,
                      layers=layers, features=features, concealed=concealed)


_ROT13_BYTES = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    b"NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm")


def _rot13(text: str) -> str:
    """ROT13 of the ASCII letters, as `codecs`' rot13 does, on the UTF-8 bytes: every byte
    of a multi-byte character is >= 0x80, so only ASCII letters change. `codecs` maps
    character by character through a dict, 85 us on 4 KB of non-ASCII text."""
    return text.encode("utf-8", "surrogatepass").translate(_ROT13_BYTES).decode("utf-8", "surrogatepass")


def _concealed(clean: str, depth: int, budget: list[int]) -> list[Layer]:
    """The hidden-from-the-reader segments of `clean` (at most MAX_CONCEALED), each
    normalised on its own so a classifier can judge it without the visible text around."""
    if "<" not in clean and "[//]" not in clean:
        return []
    out: list[Layer] = []
    for kind, pattern in _CONCEALED_RES:
        for m in pattern.finditer(clean):
            inner = m.group(1).strip()
            if not inner:
                continue
            view = _normalize(inner[:MAX_CONCEALED_CHARS], depth + 1, budget)
            out.append(Layer(kind=kind, start=m.start(1), end=m.end(1), view=view, depth=depth))
            if len(out) >= MAX_CONCEALED:
                return out
    return out


def feature_vector(norm: Normalized) -> list[float]:
    """The normalisation evidence as classifier features (log-scaled counts)."""
    return [math.log1p(norm.features.get(k, 0)) for k in FEATURE_NAMES]


FEATURE_NAMES = ("invisible", "tag_chars", "variation_selector_bytes", "confusables", "leetspeak",
                 "split_chars", "decoded_segments")


# An n-gram classifier has nothing to judge a two-word text by: its score there is the
# model's bias ("hey" read as hate or as an injection), not evidence. Detectors give such
# texts to their rules (signatures, lexicon) alone.
MIN_WORDS_FOR_CLASSIFIER = 3
MIN_CHARS_FOR_CLASSIFIER = 16


def too_short_for_a_classifier(skeleton: str) -> bool:
    stripped = skeleton.strip()
    return len(stripped) < MIN_CHARS_FOR_CLASSIFIER and len(stripped.split()) < MIN_WORDS_FOR_CLASSIFIER
