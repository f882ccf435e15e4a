"""What every manifest parser yields, and how a dependency is placed on a line.

Parsers read structured formats with real parsers (tomllib, json, ElementTree behind a
DTD refusal); those parsers do not report line numbers, so the line of a dependency is
found afterwards by looking for its name in the text (`LineFinder`), once per AI hit,
not once per dependency.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True)
class Dependency:
    ecosystem: str
    name: str
    version: str | None = None  # exact pin ("1.2.3") or the spec as written (">=1.0,<2")
    line: int | None = None  # when the parser knows it
    pinned: bool = False  # an exact version (==, a lock file, go.mod, a fixed Maven/NuGet version)
    requirements_file: bool = False  # pip requirements: the only place an unpinned spec is a finding


class LineFinder:
    """1-based line of the first mention of a name, quoted or as a bare token."""

    def __init__(self, text: str) -> None:
        self.lower = text.lower()
        self._starts = [0]
        pos = self.lower.find("\n")
        while pos != -1:
            self._starts.append(pos + 1)
            pos = self.lower.find("\n", pos + 1)

    def line_of(self, name: str, *needles: str) -> int | None:
        """Line of the first of `needles` found (lower-cased), else of `name` as a token."""
        for needle in needles:
            pos = self.lower.find(needle.lower())
            if pos != -1:
                return bisect_right(self._starts, pos)
        key = name.lower()
        pos = self.lower.find(key)
        while pos != -1:
            before = self.lower[pos - 1] if pos else " "
            after = self.lower[pos + len(key)] if pos + len(key) < len(self.lower) else " "
            if not (before.isalnum() or before in "-_.") and not (after.isalnum() or after in "-_"):
                return bisect_right(self._starts, pos)
            pos = self.lower.find(key, pos + 1)
        return None
