"""Principals (an app, a user or an agent): governed identities with API keys.

A key is `aip_<key_id>_<secret>`: the key id (random, public) finds the row in one
indexed lookup, and only the SHA-256 of the whole key is stored, compared in constant
time. The secret has 256 bits of entropy, so a fast hash is the right tool (a
password hash would only slow every request down without adding safety).

An identity is governed: an owner and sponsors answer for it, a blueprint says what it
was created from, `tools` and `models` (globs) are all it may use, and its lifecycle is
computed, never stored: active, disabled, expired (past `expires`) or
attestation-overdue (its owner or a sponsor has not re-attested it within
`attest_every_days`). Lifecycle changes are kept as events (`history`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Literal

import re2
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from aiposture.errors import InputError
from aiposture.identity.blueprints import Blueprint
from aiposture.store.database import Store
from aiposture.store.tables_identity import PrincipalEventRow, PrincipalRow

PrincipalKind = Literal["app", "user", "agent"]
Status = Literal["active", "disabled", "expired", "attestation-overdue"]
KINDS = ("app", "user", "agent")
_NAME = re2.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$")
_PERSON = re2.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+:-]{0,255}$")
_GLOB = re2.compile(r"^[A-Za-z0-9_.*?/:@\[\]-]{1,256}$")
_ATTR = re2.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_KEY = re2.compile(r"^aip_([0-9a-f]{16})_([A-Za-z0-9_-]{20,128})$")
MAX_ATTEST_DAYS = 3650


class Principal(BaseModel):
    name: str
    kind: PrincipalKind
    app: str | None = None
    enabled: bool = True
    key_id: str
    created: datetime
    description: str = ""
    owner: str | None = None
    sponsors: list[str] = Field(default_factory=list)
    blueprint: str | None = None
    tools: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=lambda: ["*"])
    attributes: dict[str, str | int | bool] = Field(default_factory=dict)
    expires: datetime | None = None
    attest_every_days: int | None = None
    last_attested: datetime | None = None

    @property
    def app_name(self) -> str:
        """The app whose policy applies: the principal's app, else its own name."""
        return self.app or self.name

    @property
    def attestation_due(self) -> datetime | None:
        if not self.attest_every_days:
            return None
        return _aware(self.last_attested or self.created) + timedelta(days=self.attest_every_days)

    def status_at(self, now: datetime) -> Status:
        if not self.enabled:
            return "disabled"
        if self.expires is not None and now >= _aware(self.expires):
            return "expired"
        due = self.attestation_due
        if due is not None and now >= due:
            return "attestation-overdue"
        return "active"

    @property
    def status(self) -> Status:
        return self.status_at(datetime.now(UTC))

    def status_reason(self, now: datetime | None = None) -> str | None:
        """Why this principal may not act now (one line), or None when it is active."""
        status = self.status_at(now or datetime.now(UTC))
        if status == "disabled":
            return f"principal {self.name!r} is disabled"
        if status == "expired":
            return f"principal {self.name!r} expired on {_aware(self.expires):%Y-%m-%d %H:%M} UTC"
        if status == "attestation-overdue":
            return (
                f"principal {self.name!r} is overdue for attestation since {self.attestation_due:%Y-%m-%d}: "
                f"its owner or a sponsor must run 'aiposture principals attest {self.name}'"
            )
        return None

    def accountable(self) -> list[str]:
        """The people who answer for this identity: owner first, then sponsors."""
        return ([self.owner] if self.owner else []) + [s for s in self.sponsors if s != self.owner]


class LifecycleEvent(BaseModel):
    principal: str
    time: datetime
    event: str
    actor: str | None = None
    detail: dict = Field(default_factory=dict)


def name_key(name: str) -> str:
    """What two principal names are compared by: `Old_Bot`, `old-bot` and `old.bot` read
    alike to a person approving or auditing, so they must not be two identities (a
    look-alike registered next to a trusted agent would pass for it in every list)."""
    return name.casefold().replace("_", "-").replace(".", "-")


def _aware(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    key_id = secrets.token_hex(8)
    return key_id, f"aip_{key_id}_{secrets.token_urlsafe(32)}"


def _to_model(row: PrincipalRow) -> Principal:
    return Principal(
        name=row.name,
        kind=row.kind,
        app=row.app,
        enabled=row.enabled,
        key_id=row.key_id,
        created=_aware(row.created),
        description=row.description,
        owner=row.owner,
        sponsors=list(row.sponsors or []),
        blueprint=row.blueprint,
        tools=list(row.tools or []),
        models=list(row.models if row.models is not None else ["*"]),
        attributes=dict(row.attributes or {}),
        expires=_aware(row.expires) if row.expires else None,
        attest_every_days=row.attest_every_days,
        last_attested=_aware(row.last_attested) if row.last_attested else None,
    )


def _check_people(owner: str | None, sponsors: list[str]) -> None:
    for person in ([owner] if owner is not None else []) + list(sponsors):
        if not isinstance(person, str) or not _PERSON.match(person):
            raise InputError(f"invalid owner/sponsor {person!r}: use letters, digits and ._@+:-")


def _check_globs(what: str, globs: list[str]) -> None:
    for glob in globs:
        if not isinstance(glob, str) or not _GLOB.match(glob):
            raise InputError(f"invalid {what} pattern {glob!r}: use letters, digits, ._/:@- and * ? [ ]")


def _check_attributes(attributes: dict) -> None:
    for key, value in attributes.items():
        if not isinstance(key, str) or not _ATTR.match(key):
            raise InputError(f"invalid attribute name {key!r}")
        if not isinstance(value, str | int | bool) or (isinstance(value, str) and len(value) > 256):
            raise InputError(f"attribute {key!r}: a string (up to 256 characters), an integer or a boolean")


def _check_attest(days: int | None) -> None:
    if days is not None and not (isinstance(days, int) and 1 <= days <= MAX_ATTEST_DAYS):
        raise InputError(f"attest-every must be 1..{MAX_ATTEST_DAYS} days, not {days!r}")


def _look_alike(session, name: str) -> str | None:
    key = name_key(name)
    names = session.execute(select(PrincipalRow.name)).scalars()
    return next((n for n in names if name_key(n) == key), None)


def _refuse_look_alike(session, name: str) -> None:
    existing = _look_alike(session, name)
    if existing == name:
        raise InputError(f"principal {name!r} already exists")
    if existing is not None:
        raise InputError(f"principal name {name!r} is too close to the existing principal {existing!r} "
                         "(names differ only in case or in . _ -)")


class Principals:
    """Principal records in a Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        name: str,
        kind: str | None = None,
        app: str | None = None,
        description: str = "",
        *,
        owner: str | None = None,
        sponsors: list[str] | None = None,
        blueprint: Blueprint | None = None,
        tools: list[str] | None = None,
        models: list[str] | None = None,
        attributes: dict | None = None,
        expires: datetime | None = None,
        attest_every_days: int | None = None,
        actor: str | None = None,
    ) -> tuple[Principal, str]:
        """Create a principal; returns it and its API key, which is shown only now.
        A blueprint gives the defaults; explicit arguments win (attributes merge)."""
        if not _NAME.match(name or ""):
            raise InputError(f"invalid principal name {name!r}: use letters, digits and ._@:-")
        kind = kind or (blueprint.kind if blueprint else "app")
        if kind not in KINDS:
            raise InputError(f"invalid principal kind {kind!r}: one of {', '.join(KINDS)}")
        bp = blueprint
        sponsors = list(sponsors or [])
        tools = list(tools if tools is not None else (bp.tools if bp else []))
        models = list(models if models is not None else (bp.models if bp else ["*"]))
        attributes = {**(bp.attributes if bp else {}), **(attributes or {})}
        if attest_every_days is None and bp is not None:
            attest_every_days = bp.attest_every_days
        _check_people(owner, sponsors)
        _check_globs("tool", tools)
        _check_globs("model", models)
        _check_attributes(attributes)
        _check_attest(attest_every_days)
        now = datetime.now(UTC)
        if expires is None and bp is not None and bp.expires_days:
            expires = now + timedelta(days=bp.expires_days)
        if expires is not None and _aware(expires) <= now:
            raise InputError(f"expires {expires:%Y-%m-%d} is in the past")
        key_id, token = new_key()
        row = PrincipalRow(
            name=name, kind=kind, app=app if app is not None else (bp.app if bp else None),
            key_id=key_id, key_hash=hash_key(token), enabled=True, created=now,
            description=description or (bp.description if bp else ""), version=1,
            owner=owner, sponsors=sponsors, blueprint=bp.name if bp else None, tools=tools, models=models,
            attributes=attributes, expires=expires, attest_every_days=attest_every_days, last_attested=None,
        )
        try:
            with self.store.session() as s:
                _refuse_look_alike(s, name)
                s.add(row)
                s.add(self._event(name, "created", actor or owner, {"kind": kind, "blueprint": row.blueprint}))
        except IntegrityError:
            raise InputError(f"principal {name!r} already exists") from None
        return _to_model(row), token

    @staticmethod
    def _event(name: str, event: str, actor: str | None, detail: dict | None = None) -> PrincipalEventRow:
        return PrincipalEventRow(principal=name, time=datetime.now(UTC), event=event, actor=actor,
                                 detail=detail or {})

    def look_alike(self, name: str) -> str | None:
        """The registered name that `name` would collide with (itself included), or None."""
        with self.store.session() as s:
            return _look_alike(s, name)

    def list(self) -> list[Principal]:
        with self.store.session() as s:
            return [
                _to_model(r) for r in s.execute(select(PrincipalRow).order_by(PrincipalRow.name)).scalars()
            ]

    def get(self, name: str) -> Principal | None:
        with self.store.session() as s:
            row = s.get(PrincipalRow, name)
            return _to_model(row) if row else None

    def _change(self, name: str, event: str, actor: str | None, detail: dict | None, apply) -> Principal:
        with self.store.session() as s:
            row = s.get(PrincipalRow, name)
            if row is None:
                raise InputError(f"no principal {name!r}")
            apply(row)
            row.version += 1
            s.add(self._event(name, event, actor, detail))
            return _to_model(row)

    def set_enabled(self, name: str, enabled: bool, *, actor: str | None = None, reason: str = "") -> Principal:
        def apply(row: PrincipalRow) -> None:
            row.enabled = enabled

        detail = {"reason": reason} if reason else {}
        return self._change(name, "enabled" if enabled else "disabled", actor, detail, apply)

    def rotate(self, name: str, *, actor: str | None = None) -> str:
        """Replace a principal's key; the old key stops working at once."""
        key_id, token = new_key()

        def apply(row: PrincipalRow) -> None:
            row.key_id, row.key_hash = key_id, hash_key(token)

        self._change(name, "rotated", actor, {"key_id": key_id}, apply)
        return token

    def attest(self, name: str, by: str, note: str = "") -> Principal:
        """Re-attest an identity: only its owner or a sponsor may; restarts the clock."""
        current = self.get(name)
        if current is None:
            raise InputError(f"no principal {name!r}")
        if by not in current.accountable():
            who = ", ".join(current.accountable()) or "nobody (set --owner or --sponsor)"
            raise InputError(f"{by!r} may not attest {name!r}: only its owner or a sponsor ({who})")
        if by == name:
            raise InputError(f"{name!r} may not attest itself")
        attester = self.get(by)  # an owner or sponsor who is registered must be an active person
        if attester is not None:
            if attester.kind != "user":
                raise InputError(f"{by!r} may not attest {name!r}: it is of kind {attester.kind!r}, not a person")
            reason = attester.status_reason()
            if reason:
                raise InputError(f"{by!r} may not attest {name!r}: {reason}")
        now = datetime.now(UTC)

        def apply(row: PrincipalRow) -> None:
            row.last_attested = now

        return self._change(name, "attested", by, {"note": note} if note else {}, apply)

    def history(self, name: str, limit: int = 50) -> list[LifecycleEvent]:
        """Lifecycle events of a principal, newest first."""
        query = (
            select(PrincipalEventRow)
            .where(PrincipalEventRow.principal == name)
            .order_by(PrincipalEventRow.id.desc())
            .limit(limit)
        )
        with self.store.session() as s:
            return [
                LifecycleEvent(principal=r.principal, time=_aware(r.time), event=r.event, actor=r.actor,
                               detail=dict(r.detail or {}))
                for r in s.execute(query).scalars()
            ]

    def authenticate(self, token: str | None) -> Principal | None:
        """The principal owning `token` (the caller checks `status`), or None if unknown or malformed."""
        match = _KEY.match(token or "")
        if not match:
            return None
        with self.store.session() as s:
            row = (
                s.execute(select(PrincipalRow).where(PrincipalRow.key_id == match.group(1))).scalars().first()
            )
            if row is None or not hmac.compare_digest(row.key_hash, hash_key(token)):
                return None
            return _to_model(row)
