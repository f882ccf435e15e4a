"""What a model-file scan returns (`ModelFileReport`), the options it takes, and the
context the format readers record into."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pydantic import BaseModel, Field

from aiposture.discover.models.pickle_scan import PickleLimits
from aiposture.discover.models.policy import GlobalsPolicy, Verdict, default_policy
from aiposture.discover.rules import all_rules
from aiposture.model import Severity

__all__ = ["Issue", "ModelFileReport", "ScanOptions", "ScanContext", "Blob", "Verdict"]


class Issue(BaseModel):
    severity: Severity
    rule: str
    detail: str
    offset: int | None = None


class ModelFileReport(BaseModel):
    path: str
    format: str
    sha256: str | None = None
    size: int
    verdict: Verdict
    issues: list[Issue] = Field(default_factory=list)
    signed: bool | None = None
    signature_verified: bool | None = None
    approved: bool | None = None
    error: str | None = None


@dataclass(frozen=True)
class ArchiveLimits:
    max_ratio: int = 200  # uncompressed / compressed, per member
    max_total: int = 64 << 30  # bytes expanded from one archive
    max_entries: int = 100_000
    max_depth: int = 4  # archives inside archives
    max_member_in_memory: int = 256 << 20  # members scanned from memory (zip inside zip)


@dataclass(frozen=True)
class ScanOptions:
    """Everything a scan can be told. `hash=False` skips SHA-256 (header-only formats
    then read only their header)."""

    hash: bool = True
    pickle: PickleLimits = field(default_factory=PickleLimits)
    archive: ArchiveLimits = field(default_factory=ArchiveLimits)
    require_signed: bool = False
    verify_signatures: bool = True
    signer_key: Path | None = None  # public key for model-signing verification
    signer_identity: str | None = None
    signer_issuer: str | None = None
    policy: GlobalsPolicy | None = None
    max_header: int = 100_000_000  # safetensors header bound (the format's own limit)
    max_config: int = 64 << 20  # JSON configs read into memory (Keras)


@dataclass
class Blob:
    """Bytes to scan: a file on disk or a member of an archive. `open()` returns a
    fresh binary stream positioned at the start."""

    name: str
    size: int
    open: Callable[[], BinaryIO]
    path: Path | None = None  # the file on disk, when this is one
    depth: int = 0  # archive nesting


def member_where(where: str, name: str) -> str:
    """The label of `name` inside `where` ("" is the scanned file itself)."""
    return f"{where}!{name}" if where else name


class ScanContext:
    """Collects issues for one top-level file; readers call `issue()`."""

    def __init__(self, options: ScanOptions) -> None:
        self.options = options
        self.policy = options.policy or default_policy()
        self.issues: list[Issue] = []
        self.formats: list[str] = []
        self.members: list[str] = []  # "name:format" of the top-level archive's members
        self.expanded = 0  # bytes decompressed from archives so far
        self.error: str | None = None
        self.rehash = False  # a stream was read twice: hash the file separately
        self.embedded_depth = 0  # archives inside pickle bytes being scanned
        self.trailing_data = False  # the file goes on after its last pickle
        self._rules = all_rules()
        self._seen: set[tuple[str, str]] = set()

    def issue(
        self,
        rule: str,
        detail: str,
        offset: int | None = None,
        *,
        severity: Severity | None = None,
        where: str = "",
    ) -> None:
        detail = f"{where}: {detail}" if where else detail
        key = (rule, detail)
        if key in self._seen:
            return
        self._seen.add(key)
        sev = severity or self._rules[rule].severity
        self.issues.append(Issue(severity=sev, rule=rule, detail=detail, offset=offset))

    def fail(self, reason: str) -> None:
        """The file (or a member) could not be scanned at all."""
        if self.error is None:
            self.error = reason

    def verdict(self) -> Verdict:
        return verdict_for(self.issues, self.error)


def verdict_for(issues: list[Issue], error: str | None) -> Verdict:
    """critical/high -> unsafe; a scan that failed with nothing else found -> error;
    medium/low -> suspicious; info only -> safe."""
    worst = max((i.severity.rank for i in issues), default=-1)
    if worst >= Severity.HIGH.rank:
        return Verdict.UNSAFE
    if error is not None and not any(
        i.rule != "AIP-MODEL-021" and i.severity.rank >= Severity.LOW.rank for i in issues
    ):
        return Verdict.ERROR
    if worst >= Severity.LOW.rank:
        return Verdict.SUSPICIOUS
    return Verdict.SAFE
