"""The `secrets` detector: credentials and keys, from `data/detect/secrets.yaml`.

`find_secrets(text)` is the one-call entry point for other parts (the discovery
scanners): it returns masked `Detection`s whose `type` is the secret type
(`OPENAI_API_KEY`, `PRIVATE_KEY`, …) and whose `explanation` names the rule id.
"""

from __future__ import annotations

from functools import lru_cache

from aiposture.detect.pattern import PatternDetector
from aiposture.detect.rules import load_builtin_rules
from aiposture.model import Detection, Direction


class SecretsDetector(PatternDetector):
    """Pattern detector over the shipped secret rules."""

    def __init__(self) -> None:
        rules = load_builtin_rules("secrets")
        super().__init__("secrets", rules.rules, mask_keep=4)


@lru_cache(maxsize=1)
def default_secrets_detector() -> SecretsDetector:
    """One compiled detector per process (compiling the rule set takes milliseconds)."""
    return SecretsDetector()


def find_secrets(text: str, direction: Direction = "document") -> list[Detection]:
    """Every secret in `text`, masked, sorted by position."""
    return default_secrets_detector().detect(text, direction)
