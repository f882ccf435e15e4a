"""The `invisible` detector: hidden Unicode in any text (rules in
`data/detect/invisible.yaml`).

One RE2 alternation with a named group per rule finds runs of each class in a single
pass; ASCII text returns at once. A run is scored by its length, legitimate uses
(emoji ZWJ sequences, subdivision flags, joiners inside Indic/Arabic words, a single
presentation selector) are skipped, and smuggled ASCII (tag characters, variation
selectors) is decoded into the explanation so a person can see what was hidden.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Literal

import re2
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aiposture.detect.rules import Examples, first_error
from aiposture.errors import InputError
from aiposture.model import Detection, Direction, Severity
from aiposture.shipped import load_data_yaml

Allow = Literal["flag_tag_sequence", "emoji_zwj_sequence", "joiner_in_script", "leading_bom",
                "single_presentation_selector"]


class InvisibleRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^INV-[A-Z0-9-]+$")
    type: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    title: str
    description: str = ""
    severity: Severity = Severity.MEDIUM
    ranges: list[tuple[str, str]] = Field(min_length=1)
    score: float = Field(ge=0.0, le=1.0)
    min_run: int = Field(default=1, ge=1)
    run_score: float | None = Field(default=None, ge=0.0, le=1.0)
    run_length: int | None = Field(default=None, ge=2)
    allow: list[Allow] = Field(default_factory=list)
    decode_tags: bool = False
    frameworks: dict[str, list[str]] = Field(min_length=1)
    examples: Examples

    @field_validator("ranges", mode="before")
    @classmethod
    def _hex_strings(cls, value: object) -> object:
        """YAML reads `[2066, 2069]` as integers: the digits are hex all the same."""
        if isinstance(value, list):
            return [[str(v) for v in pair] if isinstance(pair, list) else pair for pair in value]
        return value

    def char_class(self) -> str:
        parts = []
        for lo, hi in self.ranges:
            a, b = int(lo, 16), int(hi, 16)
            parts.append(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}")
        return "[" + "".join(parts) + "]"


class InvisibleRuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    detector: Literal["invisible"]
    version: int = 1
    rules: list[InvisibleRule] = Field(min_length=1)


def load_invisible_rules() -> InvisibleRuleFile:
    try:
        return InvisibleRuleFile.model_validate(load_data_yaml("detect", "invisible.yaml"))
    except ValidationError as exc:
        raise InputError(f"data/detect/invisible.yaml: invalid rule file {first_error(exc)}") from None


def _is_pictographic(ch: str) -> bool:
    cp = ord(ch)
    return (0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2190 <= cp <= 0x21FF
            or cp in (0x2B50, 0x2B55, 0x3030, 0x303D, 0x3297, 0x3299, 0xFE0F, 0x20E3)
            or unicodedata.category(ch) == "So")


def _flag_tag_sequence(text: str, start: int, end: int) -> bool:
    run = text[start:end]
    return (start > 0 and text[start - 1] == "\U0001F3F4" and run.endswith("\U000E007F")
            and all(0xE0030 <= ord(c) <= 0xE007A for c in run[:-1]))


def _emoji_zwj_sequence(text: str, start: int, end: int) -> bool:
    return (end - start == 1 and text[start] == "\u200D" and start > 0 and end < len(text)
            and _is_pictographic(text[start - 1]) and _is_pictographic(text[end]))


def _joiner_in_script(text: str, start: int, end: int) -> bool:
    if end - start != 1 or text[start] not in "\u200C\u200D" or start == 0 or end >= len(text):
        return False
    before, after = text[start - 1], text[end]
    return (not before.isascii() and not after.isascii()
            and unicodedata.category(before)[0] in "LM" and unicodedata.category(after)[0] in "LM")


def _leading_bom(text: str, start: int, end: int) -> bool:
    return start == 0 and text[start:end] == "\uFEFF"


def _single_presentation_selector(text: str, start: int, end: int) -> bool:
    if end - start != 1 or start == 0:
        return False
    before = text[start - 1]
    return not before.isascii() or before in "#*0123456789"


_ALLOWED: dict[str, Callable[[str, int, int], bool]] = {
    "flag_tag_sequence": _flag_tag_sequence,
    "emoji_zwj_sequence": _emoji_zwj_sequence,
    "joiner_in_script": _joiner_in_script,
    "leading_bom": _leading_bom,
    "single_presentation_selector": _single_presentation_selector,
}


def decode_hidden(run: str) -> str:
    """ASCII smuggled in tag characters or variation selectors (one byte per selector)."""
    out = bytearray()
    for ch in run:
        cp = ord(ch)
        if 0xE0000 <= cp <= 0xE007F:
            out.append(cp - 0xE0000)
        elif 0xFE00 <= cp <= 0xFE0F:
            out.append(cp - 0xFE00)
        elif 0xE0100 <= cp <= 0xE01EF:
            out.append(cp - 0xE0100 + 16)
    return "".join(chr(b) if 32 <= b < 127 else "" for b in out)


class InvisibleTextDetector:
    """Finds runs of hidden Unicode, one detection per run."""

    name = "invisible"

    def __init__(self) -> None:
        self.rules = load_invisible_rules().rules
        alternation = "|".join(f"(?P<r{i}>{r.char_class()}+)" for i, r in enumerate(self.rules))
        self._regex = re2.compile(alternation)
        self._group_rule = {self._regex.groupindex[f"r{i}"]: r for i, r in enumerate(self.rules)}

    def detect(self, text: str, direction: Direction = "prompt") -> list[Detection]:
        if not text or text.isascii():
            return []
        out = []
        for match in self._regex.finditer(text):
            group = next(g for g in self._group_rule if match.start(g) >= 0)
            rule = self._group_rule[group]
            start, end = match.span(group)
            detection = self._judge(text, start, end, rule)
            if detection is not None:
                out.append(detection)
        return out

    def _judge(self, text: str, start: int, end: int, rule: InvisibleRule) -> Detection | None:
        length = end - start
        if length < rule.min_run or any(_ALLOWED[a](text, start, end) for a in rule.allow):
            return None
        score = rule.score
        if rule.run_score is not None and rule.run_length is not None and length >= rule.run_length:
            score = rule.run_score
        run = text[start:end]
        why: dict = {"rule": rule.id, "characters": length,
                     "code_points": sorted({f"U+{ord(c):04X}" for c in run})[:8]}
        hidden = decode_hidden(run)
        if hidden and (rule.decode_tags or length >= (rule.run_length or 2)):
            why["hidden_text"] = hidden[:200]
        why["confidence"] = "high" if score >= 0.85 else "medium" if score >= 0.6 else "low"
        return Detection.model_construct(
            detector=self.name, type=rule.type, start=start, end=end, score=score,
            text=f"{length} × {rule.type}", explanation=why)
