"""Signature families for prompt injection and jailbreaks, loaded from data.

Each YAML file under `data/detect/injection/` is one family (id, title, detection
type, severity, weight, framework mappings, RE2 patterns per language, positive
and negative examples), validated by pydantic at load. All patterns are compiled
into one RE2 `Set`, so a view of the text is scanned once whatever the number of
patterns; only the patterns that matched are re-run to find their span.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import re2
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from aiposture.model import Severity

DETECTION_TYPES = ("PROMPT_INJECTION", "JAILBREAK", "INDIRECT_INJECTION", "EXFILTRATION_LINK")
LANGUAGES = ("any", "en", "de", "fr", "es", "pt", "it", "zh", "ja", "ru")


class SignaturePattern(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    lang: str
    regex: str
    weight: float | None = Field(default=None, gt=0.0, lt=1.0)

    @field_validator("lang")
    @classmethod
    def _lang(cls, v: str) -> str:
        if v not in LANGUAGES:
            raise ValueError(f"unknown language {v!r}")
        return v

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str) -> str:
        re2.compile(unicode_words(v), _options())
        return v


def unicode_words(regex: str) -> str:
    """RE2's `\\w` is ASCII-only; patterns are written with `\\w` and run with letters
    and digits of every script. (`\\b` stays ASCII: patterns avoid it next to
    non-ASCII letters.)"""
    return regex.replace("\\w", "[\\p{L}\\p{N}_]")


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")

    positive: list[str] = Field(min_length=1)
    negative: list[str] = Field(min_length=1)


class SignatureFamily(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    type: str
    severity: Severity
    weight: float = Field(gt=0.0, lt=1.0)
    # the family's phrases speak to the AI that reads a document ("note for the model:"):
    # a benign question seldom quotes them, so the stacker weighs their hits on their own
    addresses_the_reader: bool = False
    rationale: str
    remediation: str
    frameworks: dict[str, list[str]]
    patterns: list[SignaturePattern] = Field(min_length=1)
    examples: Examples

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        if v not in DETECTION_TYPES:
            raise ValueError(f"unknown detection type {v!r}")
        return v

    @field_validator("frameworks")
    @classmethod
    def _mapped(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        if not v.get("owasp-llm-2025") or not v.get("mitre-atlas"):
            raise ValueError("a family maps to OWASP LLM 2025 and MITRE ATLAS")
        return v


@dataclass(frozen=True)
class SignatureHit:
    family: SignatureFamily
    pattern: SignaturePattern
    layer: str
    start: int
    end: int

    @property
    def weight(self) -> float:
        return self.pattern.weight or self.family.weight

    @property
    def pattern_id(self) -> str:
        return f"{self.family.id}/{self.pattern.id}"


def _options() -> re2.Options:
    opts = re2.Options()
    opts.case_sensitive = False
    opts.max_mem = 64 << 20
    return opts


def load_families(package_dir: tuple[str, ...] = ("data", "detect", "injection")) -> list[SignatureFamily]:
    root = resources.files("aiposture").joinpath(*package_dir)
    families = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            families.append(SignatureFamily.model_validate(yaml.safe_load(entry.read_text("utf-8"))))
    ids = [f.id for f in families]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate signature family id")
    return families


class SignatureSet:
    """All families compiled into one RE2 Set; `scan(views)` returns hits per view."""

    def __init__(self, families: list[SignatureFamily]) -> None:
        self.families = families
        self._entries: list[tuple[SignatureFamily, SignaturePattern, re2._Regexp]] = []
        self._set = re2.Set.SearchSet(_options())
        for fam in families:
            for pat in fam.patterns:
                regex = unicode_words(pat.regex)
                idx = self._set.Add(regex)
                assert idx == len(self._entries)
                self._entries.append((fam, pat, re2.compile(regex, _options())))
        self._set.Compile()

    def scan(self, views: list[tuple[str, str]]) -> list[SignatureHit]:
        hits: list[SignatureHit] = []
        seen: set[str] = set()
        for layer, text in views:
            if not text:
                continue
            matched = self._set.Match(text)
            if not matched:
                continue
            for idx in sorted(matched):
                fam, pat, rx = self._entries[idx]
                key = f"{fam.id}/{pat.id}"
                if key in seen:
                    continue
                seen.add(key)
                m = rx.search(text)
                start, end = (m.start(), m.end()) if m else (0, len(text))
                hits.append(SignatureHit(fam, pat, layer, start, end))
        return hits


@lru_cache(maxsize=1)
def default_signatures() -> SignatureSet:
    return SignatureSet(load_families())
