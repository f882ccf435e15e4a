"""The writer contract: `render(result) -> str`. Writers are pure: they never print,
open files or touch the store; the command decides where the text goes."""

from __future__ import annotations

from typing import Protocol

from aiposture.model import ScanResult

SEVERITY_TO_SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SEVERITY_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


class Writer(Protocol):
    name: str

    def render(self, result: ScanResult) -> str: ...
