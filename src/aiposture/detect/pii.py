"""The `pii` detector: personal data types from `data/detect/pii.yaml`.

Names and locations are not covered: that needs an NER model, and no PyPI package
ships one with its weights (they download from a hub at run time) — see docs/guard.md.
"""

from __future__ import annotations

from aiposture.detect.pattern import PatternDetector
from aiposture.detect.rules import load_builtin_rules


class PiiDetector(PatternDetector):
    """Pattern detector over the shipped personal-data rules (values masked to 2 chars)."""

    def __init__(self) -> None:
        rules = load_builtin_rules("pii")
        super().__init__("pii", rules.rules, mask_keep=2)
