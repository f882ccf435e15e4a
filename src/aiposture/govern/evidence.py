"""The evidence posture checks read, beyond the scan itself.

Checks never go looking for state: the caller (`assess`, `posture`) gathers it once
into an `Evidence` and passes it in (STYLE.md rule 7), so checks are pure functions
that tests feed with constructed evidence. Each source may be absent — no gateway
policy, no audit verification recorded, no red-team run — and a check that needs it
then says "not assessed" and why, instead of passing on no evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiposture.model import ScanResult


@dataclass(frozen=True)
class GatewayEvidence:
    """A gateway policy, read as plain data (the gateway owns its schema; we read the
    few keys posture needs, tolerating absent ones)."""

    source: str
    raw: dict[str, Any]
    apps: frozenset[str] = frozenset()
    approved_models: frozenset[str] = frozenset()
    approval_tools: frozenset[str] = frozenset()
    content_logging: str | None = None
    retention_days: int | None = None
    base_urls: frozenset[str] = frozenset()
    config_path: str | None = None  # the gateway.yaml read (its `access:` folder is relative to it)


@dataclass(frozen=True)
class AuditEvidence:
    """The latest `audit verify` outcome."""

    verified_at: datetime
    ok: bool
    events: int = 0
    detail: str = ""


@dataclass(frozen=True)
class RedteamEvidence:
    """One finished red-team run: which app/target, whether it stayed under its gate."""

    target: str
    app: str | None
    passed: bool | None  # None: the run did not say; judged from success_rate
    finished: datetime
    success_rate: float | None = None

    def passed_at(self, max_success_rate: float) -> bool:
        if self.passed is not None:
            return self.passed
        return self.success_rate is not None and self.success_rate <= max_success_rate


@dataclass(frozen=True)
class ApprovedModels:
    """The approved-model registry: hosted model names and model-file SHA-256s."""

    source: str
    names: frozenset[str] = frozenset()
    sha256: frozenset[str] = frozenset()


@dataclass(frozen=True)
class IdentityRecord:
    """A registered principal as posture reads it (status computed at assessment time)."""

    name: str
    kind: str
    status: str  # active | disabled | expired | attestation-overdue
    owner: str | None = None
    sponsors: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    status_reason: str | None = None


@dataclass(frozen=True)
class AccessEvidence:
    """The gateway's Cedar access policy folder: whether it loads, and the permits that
    weaken the tool gate (approval waivers, permits of every tool with no condition)."""

    folder: str
    error: str | None = None  # None: the folder loads and validates
    policies: int = 0
    unscoped_waivers: tuple[str, ...] = ()  # "id (file)" of @approval("waived") permits with no scope
    waivers: int = 0
    open_tool_permits: tuple[str, ...] = ()  # "id (file)" of permits of every tool with no condition


@dataclass(frozen=True)
class ApprovalStats:
    """Approval requests of one principal in the window: how many, how many lapsed unanswered."""

    requested: int
    lapsed: int


@dataclass
class IdentityEvidence:
    """What the identity registry, the access policies, the approval queue and the audit
    trail say (gathered by the command layer, which may read the identity part; see
    `commands/identity_posture.py`). None in a field: that source could not be read."""

    principals: dict[str, IdentityRecord] | None = None
    access: AccessEvidence | None = None  # None: the gateway names no access folder
    approvals: dict[str, ApprovalStats] | None = None  # principal -> requests in the window
    approvals_days: int = 30
    # agent -> model calls in the audit window made with its static API key / with a token
    key_calls: dict[str, int] | None = None
    token_calls: dict[str, int] | None = None
    audit_days: int = 7


@dataclass
class Evidence:
    gateway: GatewayEvidence | None = None
    audit: AuditEvidence | None = None
    redteam: list[RedteamEvidence] = field(default_factory=list)
    redteam_recorded: bool = False  # False: no red-team state could be read at all
    approved_models: ApprovedModels | None = None
    identity: IdentityEvidence | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class PostureContext:
    """What a query sees: the scan (whole estate, or one app's slice) and the evidence."""

    result: ScanResult
    evidence: Evidence
    app: str | None = None  # None: the whole estate
    apps: list[str] = field(default_factory=list)  # the apps in scope
