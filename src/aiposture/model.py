"""The shared data model (DESIGN.md): Asset, Finding, Detection, Verdict, AuditEvent.

Every part of aiposture speaks these types, so they live in one leaf module that
imports nothing of ours. Identifiers are stable hashes, so that the same asset
found by two scans gets the same id and the store can tell new, changed and gone.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used by `--fail-on` and for sorting."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity | str) -> bool:
        return self.rank >= Severity(other).rank


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}

AssetKind = Literal[
    "sdk",
    "framework",
    "model",
    "model-file",
    "endpoint",
    "cloud-resource",
    "vector-store",
    "dataset",
    "agent",
    "mcp-server",
    "saas-app",
]
ASSET_KINDS: tuple[str, ...] = AssetKind.__args__  # type: ignore[attr-defined]


def stable_id(*parts: object, length: int = 16) -> str:
    """A short, stable hex id from the given parts (order matters)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return digest[:length]


class Location(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class Asset(BaseModel):
    """One AI asset. `id` hashes kind + name + scope, where scope is what makes two
    assets of the same name distinct (a file path for a model file, a resource address
    for a cloud resource, empty for an SDK used across the estate)."""

    id: str
    kind: AssetKind
    name: str
    version: str | None = None
    provider: str | None = None
    locations: list[Location] = Field(default_factory=list)
    properties: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def make(cls, kind: str, name: str, scope: str = "", **fields: Any) -> Asset:
        return cls(id=stable_id(kind, name, scope), kind=kind, name=name, **fields)

    def fingerprint(self) -> str:
        """Hash of what a person would call a change (version, provider, properties),
        ignoring where it was seen."""
        body = {"v": self.version, "p": self.provider, "props": self.properties}
        return stable_id(json.dumps(body, sort_keys=True, default=str))

    def merge(self, other: Asset) -> None:
        """Fold another sighting of the same asset into this one."""
        seen = set(self.locations)
        self.locations.extend(loc for loc in other.locations if loc not in seen)
        if other.version and other.version != self.version:
            if not self.version:
                self.version = other.version
            else:
                versions = set(self.properties.get("versions", [self.version]))
                versions.add(other.version)
                self.properties["versions"] = sorted(versions)
        if other.provider and not self.provider:
            self.provider = other.provider
        for key, value in other.properties.items():
            self.properties.setdefault(key, value)


class Finding(BaseModel):
    id: str
    rule: str
    title: str
    severity: Severity
    asset: str | None = None
    location: Location | None = None
    evidence: str = ""
    remediation: str = ""
    frameworks: dict[str, list[str]] = Field(default_factory=dict)

    @classmethod
    def make(cls, rule: str, location: Location | None = None, asset: str | None = None,
             discriminator: str = "", **fields: Any) -> Finding:
        loc = str(location) if location else ""
        return cls(id=stable_id(rule, asset or "", loc, discriminator), rule=rule,
                   location=location, asset=asset, **fields)


class Skipped(BaseModel):
    path: str
    reason: str


class RunInfo(BaseModel):
    id: str
    command: str
    target: str
    started: datetime
    finished: datetime | None = None
    files_scanned: int = 0
    diff: dict[str, list[str]] = Field(default_factory=dict)


class ScanResult(BaseModel):
    """What a discovery command produces; the `json` format is this model."""

    run: RunInfo
    assets: list[Asset] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)

    def worst_severity(self) -> Severity | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=lambda s: s.rank)


class Detection(BaseModel):
    """One hit of a text detector. `text` is always masked; `explanation` says why."""

    detector: str
    type: str
    start: int
    end: int
    score: float = Field(ge=0.0, le=1.0)
    text: str = ""
    explanation: dict[str, Any] = Field(default_factory=dict)


Action = Literal["allow", "redact", "block"]
Direction = Literal["prompt", "response", "document"]


class Verdict(BaseModel):
    action: Action = "allow"
    risk: float = 0.0
    scores: dict[str, float] = Field(default_factory=dict)
    detections: list[Detection] = Field(default_factory=list)
    redacted: str | None = None
    policy: str | None = None
    reason: str | None = None


class AuditEvent(BaseModel):
    seq: int
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    principal: str | None = None
    end_user: str | None = None
    app: str | None = None
    model: str | None = None
    direction: str | None = None
    verdict: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    hash_prev: str = ""
    hash: str = ""


def mask_secret(value: str, keep: int = 4) -> str:
    """Show only a short prefix and the length, never the value in clear."""
    if len(value) <= keep * 2:
        return "*" * len(value)
    return f"{value[:keep]}…[{len(value)} chars]"
