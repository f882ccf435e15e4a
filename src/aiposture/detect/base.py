"""The contract every text detector meets.

A detector is a small object with a registry `name` (the key of `Verdict.scores`)
and `detect(text, direction)`. It must run in time linear in `len(text)` (RE2 only)
and return masked `Detection`s that explain themselves (`explanation`: pattern id,
context words seen, checksum passed, classifier score).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from aiposture.model import Detection, Direction


@runtime_checkable
class TextDetector(Protocol):
    name: str

    def detect(self, text: str, direction: Direction = "prompt") -> list[Detection]:
        """Return every detection in `text`; never raise on odd input."""
        ...
