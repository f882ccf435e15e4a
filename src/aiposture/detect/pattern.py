"""The pattern detector: a small engine that interprets `PatternRule`s.

Speed comes from doing as little per byte as possible in Python:
- the text is encoded to UTF-8 once and every regex runs on those bytes;
- all patterns of a detector are compiled into ONE `re2.Set`, so a text that holds
  nothing sensitive costs a single linear DFA pass, whatever the number of rules;
- only the patterns the Set reports are run again (`finditer`) to get spans;
- keywords are looked for only in the small window around a candidate, and the
  checksum runs only on the candidate.
RE2 guarantees time linear in the input; nothing here backtracks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import re2

from aiposture.detect.checksums import Checksum, get_checksum
from aiposture.detect.rules import PatternRule, PatternSpec, RuleFile
from aiposture.model import Detection, Direction, mask_secret

_SET_OPTIONS = re2.Options()
_SET_OPTIONS.max_mem = 256 << 20  # a Set never falls back to the NFA: give its DFA room
# Counted repetitions ({20,74}) make large programs; with RE2's default 8 MiB the DFA
# runs out of memory, falls back to the slow NFA and logs an error per search.
_REGEX_OPTIONS = re2.Options()
_REGEX_OPTIONS.max_mem = 64 << 20


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


@dataclass(frozen=True)
class _Entry:
    rule: PatternRule
    spec: PatternSpec
    regex: object  # re2._Regexp
    group: int
    keywords: tuple[str, ...] | None
    checksum: Checksum | None


def _keywords(keywords: list[str]) -> tuple[str, ...]:
    """Lower-cased, longest first (so "date of birth" is reported before "birth")."""
    return tuple(sorted({k.lower() for k in keywords}, key=len, reverse=True))


class PatternDetector:
    """A `TextDetector` over a list of pattern rules (one rule file)."""

    def __init__(self, name: str, rules: list[PatternRule], mask_keep: int = 4) -> None:
        self.name = name
        self.rules = list(rules)
        self.mask_keep = mask_keep
        self._entries: list[_Entry] = []
        self._set = re2.Set.SearchSet(_SET_OPTIONS)
        keyword_cache: dict[str, tuple[str, ...]] = {}
        for rule in self.rules:
            kw = None
            if rule.context:
                kw = keyword_cache.setdefault(rule.id, _keywords(rule.context.keywords))
            checksum = get_checksum(rule.checksum) if rule.checksum else None
            for spec in rule.patterns:
                regex = re2.compile(spec.regex, _REGEX_OPTIONS)
                group = spec.group if isinstance(spec.group, int) else regex.groupindex[spec.group]
                self._set.Add(spec.regex)
                self._entries.append(_Entry(rule, spec, regex, group, kw, checksum))
        self._set.Compile()

    @classmethod
    def from_rule_file(cls, rule_file: RuleFile, mask_keep: int = 4) -> PatternDetector:
        return cls(rule_file.detector, rule_file.rules, mask_keep=mask_keep)

    # -- scanning -------------------------------------------------------------------------

    def detect(self, text: str, direction: Direction = "prompt") -> list[Detection]:
        if not text:
            return []
        data = text.encode("utf-8", "replace")
        hits = self._set.Match(data)
        if not hits:
            return []
        found: list[tuple[int, int, float, _Entry, dict]] = []
        for index in hits:
            entry = self._entries[index]
            for start, end in _spans(entry.regex, data, entry.group):
                judged = self._judge(data, start, end, entry)
                if judged is not None:
                    found.append((start, end, judged[0], entry, judged[1]))
        if not found:
            return []
        kept = _resolve_overlaps(found)
        return self._to_detections(text, data, kept)

    def _judge(self, data: bytes, start: int, end: int, entry: _Entry) -> tuple[float, dict] | None:
        """Score one candidate: stopwords, checksum, entropy, context. None: rejected."""
        rule = entry.rule
        value = data[start:end].decode("utf-8", "replace")
        if rule.stopwords:
            low = value.lower()
            if any(w in low for w in rule.stopwords):
                return None
        why: dict = {"rule": rule.id, "pattern": entry.spec.name}
        if entry.checksum is not None:
            if not entry.checksum(value):
                return None
            why["checksum"] = rule.checksum
        if rule.entropy is not None:
            ent = shannon_entropy(value)
            if ent < rule.entropy:
                return None
            why["entropy"] = round(ent, 2)
        score = entry.spec.score
        if entry.keywords is not None and rule.context is not None:
            window = rule.context.window
            lo, hi = max(0, start - window), min(len(data), end + window)
            seen = _keyword_near(entry.keywords, data[lo:hi])
            if seen is not None:
                score = min(1.0, score + rule.context.boost)
                why["keywords"] = [seen]
            elif rule.context.required:
                return None
        reviewed = self._review(entry.rule, value, score, why)
        if reviewed is None:
            return None
        why["confidence"] = rule.confidence.level(reviewed)
        return reviewed, why

    def _review(self, rule: PatternRule, value: str, score: float, why: dict) -> float | None:
        """A subclass's last word on a candidate (e.g. an allowlist): a new score or None."""
        return score

    def _to_detections(self, text: str, data: bytes, kept: list) -> list[Detection]:
        ascii_text = len(data) == len(text)
        offsets = _CharOffsets(data) if not ascii_text else None
        out = []
        for start, end, score, entry, why in kept:
            value = data[start:end].decode("utf-8", "replace")
            if offsets is not None:
                start, end = offsets.char(start), offsets.char(end)
            out.append(Detection(
                detector=self.name, type=entry.rule.type, start=start, end=end,
                score=round(score, 4), text=mask_secret(value, self.mask_keep), explanation=why))
        return out


_UNANCHORED = re2._Anchor.UNANCHORED


def _spans(regex: object, data: bytes, group: int) -> Iterator[tuple[int, int]]:
    """(start, end) of `group` for every match, in byte offsets. Calls the compiled RE2
    object directly (one C++ call per match, no Match objects); falls back to `finditer`
    when the binding does not expose it."""
    raw = getattr(regex, "_regexp", None)
    if raw is None:
        for m in regex.finditer(data):  # type: ignore[attr-defined]
            if m.start(group) >= 0 and m.end(group) > m.start(group):
                yield m.span(group)
        return
    pos, stop = 0, len(data)
    while pos <= stop:
        spans = raw.Match(_UNANCHORED, data, pos, stop)
        whole_start, whole_end = spans[0]
        if whole_start < 0:
            return
        start, end = spans[group]
        if 0 <= start < end:
            yield start, end
        pos = whole_end if whole_end > whole_start else whole_end + 1


def _keyword_near(keywords: tuple[str, ...], window: bytes) -> str | None:
    """The first keyword (lower case) that starts a word in `window`, or None. Plain
    substring search on a window of at most a few hundred characters: no regex needed."""
    low = window.decode("utf-8", "ignore").lower()
    for kw in keywords:
        i = low.find(kw)
        while i >= 0:
            if i == 0 or not (low[i - 1].isalnum() or low[i - 1] == "_"):
                return kw
            i = low.find(kw, i + 1)
    return None


class _CharOffsets:
    """Byte offset -> character offset for UTF-8 text, for ascending queries mostly."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._byte = 0
        self._char = 0

    def char(self, byte: int) -> int:
        if byte < self._byte:
            self._byte = self._char = 0
        self._char += len(self._data[self._byte:byte].decode("utf-8", "replace"))
        self._byte = byte
        return self._char


def _resolve_overlaps(found: list) -> list:
    """Keep the best of overlapping candidates: higher score, then longer span, then rule
    order. Identical spans of the same type collapse to one."""
    ranked = sorted(found, key=lambda f: (-f[2], -(f[1] - f[0]), f[0]))
    kept: list = []
    for cand in ranked:
        if all(cand[1] <= k[0] or cand[0] >= k[1] for k in kept):
            kept.append(cand)
    kept.sort(key=lambda f: f[0])
    return kept
