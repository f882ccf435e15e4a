"""Gateway configuration (`gateway.yaml`) and policy (`policy.yaml`), validated by
pydantic. The policy is reloaded when its file's mtime changes, so an operator can
tighten it without restarting workers."""

from __future__ import annotations

import fnmatch
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from aiposture.discover.models.approval import ApprovedModels
from aiposture.errors import InputError
from aiposture.yamlfile import read_mapping as _read_yaml
from aiposture.yamlfile import validate as _validate

SENSITIVITY = ("public", "internal", "confidential", "restricted")
Sensitivity = Literal["public", "internal", "confidential", "restricted"]
ContentLogging = Literal["none", "redacted", "full"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Upstream(_Strict):
    name: str
    kind: Literal["openai", "azure", "anthropic"] = "openai"
    base_url: str
    api_key_env: str | None = None
    models: list[str] = Field(default_factory=lambda: ["*"])
    external: bool = True  # a third-party provider: data boundaries apply
    api_version: str = "2024-06-01"  # azure only
    deployments: dict[str, str] = Field(default_factory=dict)  # azure: model -> deployment

    def serves(self, model: str) -> bool:
        return any(fnmatch.fnmatchcase(model, pattern) for pattern in self.models)

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None


class Limits(_Strict):
    max_body_bytes: int = 1_048_576
    client_body_timeout_s: float = 30.0
    upstream_timeout_s: float = 120.0
    connect_timeout_s: float = 5.0
    max_connections: int = 200


class AuditSettings(_Strict):
    key_file: Path | None = None
    durable: bool = True  # answer only after the event is committed
    checkpoint_every: int = 10000
    retention_days: float | None = Field(default=None, gt=0)  # purge older events, keeping the chain verifiable
    retention_interval_s: float = Field(default=3600.0, gt=0)


class Telemetry(_Strict):
    otel: bool = False  # GenAI spans through opentelemetry-api, when installed


class TokenSettings(_Strict):
    """The gateway's access tokens (docs/identity.md): who issues them, for which
    audience, how long they live, where the signing keys are (default state_dir/token-keys)."""

    enabled: bool = True
    issuer: str = Field(default="aiposture", min_length=1, max_length=256)
    audience: str = Field(default="aiposture-gateway", min_length=1, max_length=256)
    ttl_s: int = Field(default=900, ge=1, le=86_400)
    max_ttl_s: int = Field(default=3600, ge=1, le=86_400)
    leeway_s: int = Field(default=30, ge=0, le=300)
    keys_dir: Path | None = None
    # failed client authentications (wrong secret, forged subject token) per client IP and
    # minute before /oauth/token answers 429 slow_down; shared through redis_url when set
    max_failures_per_minute: int | None = Field(default=30, ge=1)


class ApprovalSettings(_Strict):
    """Human approval of high-risk tool calls (docs/gateway.md, "Tools, approvals and MCP")."""

    timeout_s: float = Field(default=900.0, gt=0)  # no decision in time = denied
    webhook_url: str | None = None  # told of every new approval and decision
    webhook_secret_env: str | None = None  # env var with the HMAC key that signs webhook bodies
    callback_hosts: list[str] = Field(default_factory=list)  # hosts a client may name as its callback

    def webhook_secret(self) -> str | None:
        return os.environ.get(self.webhook_secret_env) if self.webhook_secret_env else None


class McpServer(_Strict):
    """An HTTP MCP server served behind the gateway at /mcp/{name}."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    url: str
    audience: str  # tokens for this server must carry this audience
    api_key_env: str | None = None  # the gateway's own credential for the server, if it needs one

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None


class GatewayConfig(_Strict):
    upstreams: list[Upstream]
    policy: Path | None = None
    guard_policy: Path | None = None
    database: str | None = None
    state_dir: Path = Path(".aiposture")
    redis_url: str | None = None
    end_user_header: str = "x-aiposture-end-user"
    limits: Limits = Field(default_factory=Limits)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    telemetry: Telemetry = Field(default_factory=Telemetry)
    tokens: TokenSettings = Field(default_factory=TokenSettings)
    access: Path | None = None  # folder of Cedar access policies (docs/access.md)
    approvals: ApprovalSettings = Field(default_factory=ApprovalSettings)
    mcp: list[McpServer] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> GatewayConfig:
        data = _read_yaml(path)
        config = _validate(cls, data, path)
        base = Path(path).parent
        for name in ("policy", "guard_policy", "access"):
            value = getattr(config, name)
            if value is not None and not value.is_absolute():
                setattr(config, name, base / value)
        return config

    def upstream_for(self, model: str) -> Upstream | None:
        return next((u for u in self.upstreams if u.serves(model)), None)


class DetectorRule(_Strict):
    action: Literal["block", "redact", "log"]
    threshold: float = Field(0.5, ge=0.0, le=1.0)


class PrincipalPolicy(_Strict):
    models: list[str] = Field(default_factory=lambda: ["*"])
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None


class AppPolicy(_Strict):
    detectors: dict[str, DetectorRule] = Field(default_factory=dict)  # detector or type -> rule
    # True: system and developer messages hold only the app's own instructions, so they
    # are scanned for personal data, secrets and harmful content but not for injection.
    # Off by default: many apps put retrieved documents into the system message, and
    # those must be screened (the red-team run through the gateway showed it)
    trust_system_prompts: bool = False
    pseudonymize: bool = False
    check_responses: bool = True
    content_logging: ContentLogging = "redacted"
    fail_open: bool = False  # on guard or audit failure
    audience: str | None = None
    max_sensitivity_external: Sensitivity | None = None


class Policy(_Strict):
    id: str = "default"
    approved_models: list[str] | None = None  # None: every model an upstream serves
    approved_registry: Path | None = None  # the approved-model registry (docs/models.md)
    principals: dict[str, PrincipalPolicy] = Field(default_factory=dict)
    apps: dict[str, AppPolicy] = Field(default_factory=dict)
    sensitivity: dict[str, Sensitivity] = Field(
        default_factory=lambda: {"secrets": "restricted", "pii": "confidential", "custom": "confidential"}
    )
    boundaries: dict[str, Sensitivity] = Field(default_factory=dict)  # audience -> max to external

    @model_validator(mode="after")
    def _known_audiences(self) -> Policy:
        for name, app in self.apps.items():
            if app.audience and app.audience not in self.boundaries and app.max_sensitivity_external is None:
                raise ValueError(f"app {name!r}: audience {app.audience!r} has no entry in boundaries")
        return self

    def for_principal(self, name: str) -> PrincipalPolicy:
        return self.principals.get(name) or self.principals.get("*") or PrincipalPolicy()

    def for_app(self, name: str) -> AppPolicy:
        return self.apps.get(name) or self.apps.get("*") or AppPolicy()

    _registry: ApprovedModels | None = PrivateAttr(default=None)

    def load_registry(self, base: Path | None) -> Policy:
        """Read `approved_registry` (relative to the policy file's folder)."""
        if self.approved_registry is not None:
            path = self.approved_registry
            if base is not None and not path.is_absolute():
                path = base / path
            self._registry = ApprovedModels.load(path)
        return self

    def model_allowed(self, principal: str, model: str) -> bool:
        """The principal's allow-list and the policy's `approved_models` globs."""
        allowed = self.for_principal(principal).models
        if not any(fnmatch.fnmatchcase(model, p) for p in allowed):
            return False
        approved = self.approved_models
        return approved is None or any(fnmatch.fnmatchcase(model, p) for p in approved)

    def registry_allows(self, model: str, upstream: Upstream) -> bool:
        """The approved-model registry, when configured: the model by name, with the
        upstream's kind or name as its provider."""
        if self._registry is None:
            return True
        return any(self._registry.is_approved(name=model, provider=p) for p in (upstream.kind, upstream.name))

    def external_limit(self, app: AppPolicy) -> Sensitivity | None:
        if app.max_sensitivity_external:
            return app.max_sensitivity_external
        return self.boundaries.get(app.audience) if app.audience else None


class PolicyHolder:
    """The current Policy, re-read when its file changes (checked at most once a second).
    A broken edit keeps the last good policy and records the error (and since when,
    for `/healthz`)."""

    def __init__(self, path: Path | None, policy: Policy | None = None, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self.error: str | None = None
        self.failed_since: datetime | None = None
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self._mtime = self._stat()
        self._policy = policy or (self._load() if path else Policy())
        self.loaded_at = datetime.now(UTC)

    def _stat(self) -> float | None:
        try:
            return os.stat(self.path).st_mtime_ns if self.path else None
        except OSError:
            return None

    def _load(self) -> Policy:
        return _validate(Policy, _read_yaml(self.path), self.path).load_registry(Path(self.path).parent)

    @property
    def policy(self) -> Policy:
        now = time.monotonic()
        if self.path is not None and now - self._checked >= self.interval:
            with self._lock:
                self._checked = now
                mtime = self._stat()
                if mtime != self._mtime:
                    self._mtime = mtime
                    try:
                        self._policy, self.error = self._load(), None
                        self.loaded_at, self.failed_since = datetime.now(UTC), None
                    except InputError as exc:
                        self.error = str(exc)
                        self.failed_since = self.failed_since or datetime.now(UTC)
        return self._policy

    def health(self) -> dict:
        """The `/healthz` check, shaped as the access folder's (`AccessPolicyHolder.health`):
        "ok", or "degraded" with the file, the reason, since when and the policy in force.
        Reading it runs a due reload first."""
        policy = self.policy
        check = {"status": "ok", "file": str(self.path) if self.path else None,
                 "in_force": {"id": policy.id, "loaded_at": self.loaded_at.isoformat(timespec="seconds")}}
        if self.error is None:
            return check
        reason = self.error
        if self.path is not None and reason.startswith(f"{self.path}: "):
            reason = reason[len(str(self.path)) + 2:]
        since = self.failed_since.isoformat(timespec="seconds") if self.failed_since else None
        return {**check, "status": "degraded", "error": reason.splitlines()[0][:500], "since": since}
