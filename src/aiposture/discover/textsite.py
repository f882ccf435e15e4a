"""Where a piece of scanned text lives: the file, its line index, and (for notebooks)
how a line of the concatenated code cells reads to a person ("cell 3, line 2").

The code, notebook and config scanners share one text-scanning path; this small value
is what lets a notebook reuse it with its own line numbering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aiposture.discover.base import LineIndex
from aiposture.model import Location


@dataclass
class TextSite:
    rel: str
    text: str
    describe: Callable[[int], str] | None = None  # line -> human place, for evidence
    _lines: LineIndex | None = field(default=None, repr=False)
    _lookups: int = field(default=0, repr=False)

    def line(self, offset: int) -> int:
        """Most files need one or two line numbers: count newlines for those (C speed, no
        index), and build the index only for a file with many hits."""
        if self._lines is None:
            self._lookups += 1
            if self._lookups <= 8:
                return self.text.count("\n", 0, offset) + 1
            self._lines = LineIndex(self.text)
        return self._lines.line(offset)

    def loc(self, offset: int) -> Location:
        return Location(path=self.rel, line=self.line(offset))

    def where(self, offset: int) -> str:
        """' (cell 3, line 2)' for a notebook, '' for a plain file."""
        if self.describe is None:
            return ""
        return f" ({self.describe(self.line(offset))})"
