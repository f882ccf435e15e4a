"""Secrets found in source and config text become findings, never assets.

Detection is the `aiposture.detect.secrets` detector's job; this module decides which
rule a detection falls under (an AI provider key in code, in config, or another
credential — `data/discover/secret_types.yaml`) and builds the evidence from the value
masked here, so a clear secret cannot reach a finding even if a detector forgot to mask.
"""

from __future__ import annotations

from functools import cache

import re2
from pydantic import BaseModel, ConfigDict, Field

from aiposture.discover.base import ScanOutput
from aiposture.discover.catalogue import load_data_yaml
from aiposture.discover.rules import make_finding
from aiposture.discover.textsite import TextSite
from aiposture.model import mask_secret

RULE_CODE = "AIP-SECRET-001"
RULE_CONFIG = "AIP-SECRET-002"
RULE_OTHER = "AIP-SECRET-003"
_PLACEHOLDER = r"^(?:[A-Z][A-Z0-9_]*|\$\{[^}]*\}?|\{\{.*|<[^>]*>?|%[^%]*%?)$"


@cache
def _placeholder() -> re2._Regexp:
    return re2.compile(_PLACEHOLDER)


class SecretTypes(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ai_provider: frozenset[str]
    min_score: float = Field(ge=0.0, le=1.0)


@cache
def secret_types() -> SecretTypes:
    return SecretTypes.model_validate(load_data_yaml("secret_types.yaml"))


def report_secrets(site: TextSite, out: ScanOutput, *, in_code: bool) -> int:
    """Add one finding per secret in `site.text`; returns how many. The detector is imported
    lazily so the scanners load (and their pickles travel to workers) without it."""
    from aiposture.detect.secrets import find_secrets

    types = secret_types()
    count = 0
    for detection in find_secrets(site.text):
        if detection.score < types.min_score:
            continue
        value = site.text[detection.start:detection.end]
        if detection.type == "GENERIC_SECRET" and (_placeholder().match(value)
                                                    or _starts_line(site.text, detection.start)):
            continue  # a ${TEMPLATE}, or `KEY=` with nothing after it matched onto the next line
        if detection.type in types.ai_provider:
            rule = RULE_CODE if in_code else RULE_CONFIG
        else:
            rule = RULE_OTHER
        masked = mask_secret(value)
        evidence = f"{detection.type} {masked}{site.where(detection.start)}"
        out.finding(make_finding(rule, site.loc(detection.start), evidence=evidence,
                                 discriminator=f"{detection.type}:{_column(site.text, detection.start)}"))
        count += 1
    return count


def _column(text: str, offset: int) -> int:
    """Column of `offset`, so two secrets on one line keep distinct, stable ids."""
    return offset - text.rfind("\n", 0, offset)


def _starts_line(text: str, offset: int) -> bool:
    """True when only blanks precede `offset` on its line: a generic key=value secret's
    value never does, so such a hit crossed a line break from an empty assignment."""
    start = text.rfind("\n", 0, offset) + 1
    return not text[start:offset].strip()
