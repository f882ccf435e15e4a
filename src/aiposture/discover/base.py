"""The contract between the discovery engine and its scanners.

The engine walks the tree once and hands every file to each scanner whose cheap,
name-only `wants()` says yes. A scanner reads through `SourceFile` (text decoded
once, lazily, and shared by all scanners of that file; bytes bounded by the size
limit; model files are never read whole — scanners that need them stream from
`path`) and records what it finds in a `ScanOutput`. Scanners never touch the store,
the network or the console.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from aiposture.model import Asset, Finding, Location, Skipped


class MalformedInput(Exception):
    """A file could not be parsed; the engine records it as skipped and goes on."""


@dataclass
class SourceFile:
    path: Path  # absolute path on disk
    rel: str  # path relative to the scan root, POSIX separators: what reports show
    size: int
    _text: str | None = field(default=None, repr=False)
    _raw: bytes | None = field(default=None, repr=False)
    _decoded: bool = field(default=False, repr=False)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    def raw(self) -> bytes:
        """The file's bytes (the engine has already refused files over the limit)."""
        if self._raw is None:
            self._raw = self.path.read_bytes()
        return self._raw

    def text(self) -> str | None:
        """UTF-8 text, or None for binary / non-UTF-8 content."""
        if not self._decoded:
            self._decoded = True
            data = self.raw()
            if b"\x00" in data[:8192]:
                self._text = None
            else:
                try:
                    self._text = data.decode("utf-8-sig")
                except UnicodeDecodeError:
                    self._text = None
        return self._text

    def loc(self, line: int | None = None) -> Location:
        return Location(path=self.rel, line=line)


@dataclass
class ScanOutput:
    assets: list[Asset] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def asset(self, asset: Asset) -> Asset:
        self.assets.append(asset)
        return asset

    def finding(self, finding: Finding) -> Finding:
        self.findings.append(finding)
        return finding

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append(Skipped(path=path, reason=reason))

    def extend(self, other: ScanOutput) -> None:
        self.assets.extend(other.assets)
        self.findings.extend(other.findings)
        self.skipped.extend(other.skipped)


@runtime_checkable
class Scanner(Protocol):
    """A discovery scanner. `name` is its registry key; `wants` looks only at the
    path (no I/O) so the engine can route 50,000 files cheaply."""

    name: str

    def wants(self, rel: str, name: str, suffix: str) -> bool: ...

    def scan(self, source: SourceFile, out: ScanOutput) -> None: ...


class LineIndex:
    """Maps character offsets to 1-based line numbers in O(log n) per lookup, so a
    file with many matches costs one pass, not one pass per match."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            self._starts.append(pos + 1)
            pos = find("\n", pos + 1)

    def line(self, offset: int) -> int:
        return bisect_right(self._starts, offset)
