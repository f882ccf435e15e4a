"""The `custom` detector: an organisation's own sensitive types, from a user YAML file.

Two kinds of entry:

- `types`: pattern rules in the same format as the shipped ones (regex patterns with
  scores, context keywords, a checksum by name, confidence levels); framework
  mappings and examples are optional here.
- `values`: lists of exact sensitive values (project code names such as "Project
  Obsidian", customer names, internal host names) stored only as SHA-256 hashes of the
  normalised value, optionally salted, so the file can be shared and committed
  without disclosing the list.

How hashed values are matched: the text is cut into word tokens (letters and digits,
RE2 `[\\p{L}\\p{N}]+`), each token NFKC-normalised and case-folded; every run of n
consecutive tokens, for each n listed in the entry's `words` (the word counts of the
hashed values, at most 8), is joined with single spaces, hashed the same way and
looked up. Work is O(tokens x len(words)) hashes per text, with no regex built from the
values. Bounds, stated plainly: punctuation and spacing inside a value are ignored
("project-obsidian" matches "Project Obsidian"); values split differently into words
(e.g. "ProjectObsidian") do not match; and a hash of a short value can be brute-forced
from a dictionary — keep the salt secret (`salt_env` reads it from the environment)
when the list itself is confidential.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from pathlib import Path

import re2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aiposture.detect.pattern import PatternDetector
from aiposture.detect.rules import Examples, PatternRule, first_error
from aiposture.errors import InputError
from aiposture.model import Detection, Direction, Severity

MAX_WORDS = 8
_TOKEN = re2.compile(r"[\p{L}\p{N}]+")


class CustomPatternRule(PatternRule):
    """A user's pattern rule: the shipped schema with mappings and examples optional."""

    frameworks: dict[str, list[str]] = Field(default_factory=lambda: {"owasp-llm-2025": ["LLM02"]})
    examples: Examples | None = None  # type: ignore[assignment]


class HashedValues(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
    type: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    title: str = ""
    severity: Severity = Severity.HIGH
    score: float = Field(default=0.9, ge=0.0, le=1.0)
    salt: str = ""
    salt_env: str | None = None
    words: list[int] = Field(default_factory=lambda: list(range(1, 5)))
    hashes: list[str] = Field(min_length=1)

    @field_validator("hashes")
    @classmethod
    def _hex(cls, value: list[str]) -> list[str]:
        out = [h.strip().lower() for h in value]
        bad = [h for h in out if len(h) != 64 or any(c not in "0123456789abcdef" for c in h)]
        if bad:
            raise ValueError(f"not a SHA-256 hex digest: {bad[0][:16]}…")
        return out

    @field_validator("words")
    @classmethod
    def _word_counts(cls, value: list[int]) -> list[int]:
        if not value or any(not 1 <= n <= MAX_WORDS for n in value):
            raise ValueError(f"word counts must be between 1 and {MAX_WORDS}")
        return sorted(set(value))

    def resolved_salt(self) -> str:
        if self.salt_env:
            salt = os.environ.get(self.salt_env)
            if salt is None:
                raise InputError(f"custom values {self.id}: environment variable {self.salt_env} is not set")
            return salt
        return self.salt


class CustomConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    types: list[CustomPatternRule] = Field(default_factory=list)
    values: list[HashedValues] = Field(default_factory=list)


def normalise_value(value: str) -> str:
    """The canonical form that is hashed: NFKC, case-folded word tokens joined by spaces."""
    return " ".join(_norm_token(m.group()) for m in _TOKEN.finditer(value))


def _norm_token(token: str) -> str:
    return unicodedata.normalize("NFKC", token).casefold()


def hash_value(value: str, salt: str = "") -> str:
    """SHA-256 hex of the normalised value (salted as `salt + NUL + value` when a salt is set)."""
    norm = normalise_value(value)
    data = f"{salt}\x00{norm}" if salt else norm
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def hashed_values_entry(values: list[str], id: str, type: str, salt: str = "") -> dict:
    """A ready-to-save `values` entry for a list of clear values (the values do not appear)."""
    words = sorted({len(normalise_value(v).split()) for v in values if normalise_value(v)})
    return {"id": id, "type": type, "salt": salt, "words": words,
            "hashes": sorted({hash_value(v, salt) for v in values if normalise_value(v)})}


def load_custom_config(path: Path) -> CustomConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read custom types {path}: {exc}") from None
    try:
        return CustomConfig.model_validate(raw)
    except ValidationError as exc:
        raise InputError(f"{path}: invalid custom types {first_error(exc)}") from None


class _ValueMatcher:
    def __init__(self, entry: HashedValues) -> None:
        self.entry = entry
        self.salt = entry.resolved_salt()
        self.hashes = frozenset(entry.hashes)

    def digest(self, norm: str) -> str:
        data = f"{self.salt}\x00{norm}" if self.salt else norm
        return hashlib.sha256(data.encode("utf-8")).hexdigest()


class CustomDetector:
    """User-defined pattern types and hashed exact values."""

    name = "custom"

    def __init__(self, path: str | Path | None = None, config: CustomConfig | None = None) -> None:
        if config is None and path is not None:
            config = load_custom_config(Path(path))
        self.config = config or CustomConfig()
        self._patterns = (PatternDetector("custom", list(self.config.types), mask_keep=2)
                          if self.config.types else None)
        self._values = [_ValueMatcher(v) for v in self.config.values]

    def detect(self, text: str, direction: Direction = "prompt") -> list[Detection]:
        if not text:
            return []
        found = self._patterns.detect(text, direction) if self._patterns else []
        if self._values:
            found.extend(self._match_values(text))
            found.sort(key=lambda d: d.start)
        return found

    def _match_values(self, text: str) -> list[Detection]:
        spans = [m.span() for m in _TOKEN.finditer(text)]
        if not spans:
            return []
        tokens = [_norm_token(text[a:b]) for a, b in spans]
        out: list[Detection] = []
        for matcher in self._values:
            seen: dict[str, bool] = {}
            for n in matcher.entry.words:
                for i in range(len(tokens) - n + 1):
                    gram = " ".join(tokens[i:i + n])
                    hit = seen.get(gram)
                    if hit is None:
                        hit = seen[gram] = matcher.digest(gram) in matcher.hashes
                    if hit:
                        out.append(self._value_detection(text, spans[i][0], spans[i + n - 1][1], matcher))
        return out

    def _value_detection(self, text: str, start: int, end: int, matcher: _ValueMatcher) -> Detection:
        entry = matcher.entry
        return Detection.model_construct(
            detector=self.name, type=entry.type, start=start, end=end, score=entry.score,
            text=f"{end - start} chars", explanation={
                "rule": entry.id, "match": "sha256" + ("+salt" if matcher.salt else ""),
                "words": len(text[start:end].split()), "confidence": "high"})
