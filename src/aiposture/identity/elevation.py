"""Just-in-time elevation: an agent asks for wider scopes for N minutes with a
justification; only a sponsor of that principal may approve (never the requester, even
when listed as a sponsor); the grant ends by itself. `active_scopes` is what the
gateway adds to `AccessRequest.context["scopes"]`.

Scopes: `tool:<glob>` and `model:<glob>` widen what the access policies' scope rules
permit; `preapproved:<tool glob>` waives the human approval of high-risk calls of those
tools for the window (the sponsor approved them in advance). A pending request lapses
unanswered after `request_ttl_s`. Decisions are conditional UPDATEs (one winner) and
every step is an audit event (direction "elevation").
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import re2
from pydantic import BaseModel
from sqlalchemy import select, update

from aiposture.errors import InputError
from aiposture.identity.access_db import aware, check_name, guarded_session
from aiposture.identity.principals import Principals
from aiposture.store.database import Store
from aiposture.store.tables_access import ElevationRow

ElevationStatus = Literal["pending", "approved", "denied", "expired", "ended"]
STATUSES = ("pending", "approved", "denied", "expired", "ended")
_SCOPE = re2.compile(r"^(tool|model|preapproved):[A-Za-z0-9_.*?/:@\[\]!-]{1,256}$")
MAX_MINUTES = 8 * 60
MAX_SCOPES = 32
MAX_TEXT = 2000


class Elevation(BaseModel):
    id: str
    principal: str
    requested_by: str
    scopes: list[str]
    minutes: int
    justification: str
    status: ElevationStatus
    created: datetime
    expires: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""
    starts: datetime | None = None
    ends: datetime | None = None


def _to_model(row: ElevationRow, now: datetime) -> Elevation:
    status = row.status
    if status == "pending" and aware(row.expires) <= now:
        status = "expired"
    elif status == "approved" and row.ends is not None and aware(row.ends) <= now:
        status = "ended"
    return Elevation(
        id=row.id, principal=row.principal, requested_by=row.requested_by, scopes=list(row.scopes),
        minutes=row.minutes, justification=row.justification, status=status, created=aware(row.created),
        expires=aware(row.expires), decided_by=row.decided_by, decided_at=aware(row.decided_at), note=row.note,
        starts=aware(row.starts), ends=aware(row.ends),
    )


def check_scopes(scopes: Any) -> list[str]:
    if not isinstance(scopes, list | tuple) or not scopes:
        raise InputError("an elevation needs at least one scope")
    if len(scopes) > MAX_SCOPES:
        raise InputError(f"more than {MAX_SCOPES} scopes")
    for scope in scopes:
        if not isinstance(scope, str) or not _SCOPE.match(scope):
            raise InputError(f"scope {str(scope)[:80]!r}: use tool:<glob>, model:<glob> or preapproved:<tool glob>")
    return list(dict.fromkeys(scopes))


class Elevations:
    def __init__(self, store: Store, principals: Any = None, *, audit: Callable[[dict], Any] | None = None,
                 clock: Callable[[], datetime] | None = None, request_ttl_s: int = 3600) -> None:
        """`principals` finds a principal by name (`.get(name)`, e.g. the registry
        `aiposture.identity.principals.Principals`); its `sponsors` may approve."""
        self.store, self.principals, self.audit = store, principals or Principals(store), audit
        self.clock = clock or (lambda: datetime.now(UTC))
        self.request_ttl_s = request_ttl_s

    def request(self, principal, scopes: list[str], minutes: int, justification: str, *,
                requested_by: str | None = None) -> Elevation:
        name = check_name(principal, "principal")
        if self.principals.get(name) is None:
            raise InputError(f"no principal {name!r}")
        scopes = check_scopes(scopes)
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
            raise InputError(f"minutes must be a whole number from 1 to {MAX_MINUTES}")
        if not isinstance(justification, str) or not justification.strip():
            raise InputError("an elevation needs a justification")
        now = self.clock()
        row = ElevationRow(
            id="elv_" + secrets.token_hex(10), principal=name,
            requested_by=check_name(requested_by or name, "requester"),
            scopes=scopes, minutes=minutes, justification=justification.strip()[:MAX_TEXT], status="pending",
            created=now, expires=now + timedelta(seconds=self.request_ttl_s), note="",
        )
        with guarded_session(self.store, "elevations") as s:
            s.add(row)
        elevation = _to_model(row, now)
        self._audit(elevation, "hold", "requested")
        return elevation

    def get(self, elevation_id) -> Elevation | None:
        with guarded_session(self.store, "elevations") as s:
            row = s.get(ElevationRow, str(elevation_id)[:32])
            return _to_model(row, self.clock()) if row else None

    def list(self, principal: str | None = None, status: str | None = None, limit: int = 500) -> list[Elevation]:
        """Newest first, at most `limit`; "expired" (never answered) and "ended" are told by time."""
        if status is not None and status not in STATUSES:
            raise InputError(f"unknown elevation status {status!r}: one of {', '.join(STATUSES)}")
        now = self.clock()
        query = select(ElevationRow).order_by(ElevationRow.created.desc()).limit(max(1, int(limit)))
        if principal:
            query = query.where(ElevationRow.principal == principal)
        row = ElevationRow
        query = {
            None: query,
            "pending": query.where(row.status == "pending", row.expires > now),
            "expired": query.where(row.status == "pending", row.expires <= now),
            "approved": query.where(row.status == "approved", row.ends > now),
            "ended": query.where(row.status == "approved", row.ends <= now),
            "denied": query.where(row.status == "denied"),
        }[status]
        with guarded_session(self.store, "elevations") as s:
            return [_to_model(r, now) for r in s.execute(query).scalars()]

    def approve(self, elevation_id, sponsor) -> Elevation:
        return self._decide(elevation_id, sponsor, True, "")

    def deny(self, elevation_id, sponsor, note="") -> Elevation:
        return self._decide(elevation_id, sponsor, False, note)

    def active_scopes(self, principal_name, now=None) -> list[str]:
        now = now or self.clock()
        query = select(ElevationRow.scopes).where(
            ElevationRow.principal == principal_name, ElevationRow.status == "approved",
            ElevationRow.starts <= now, ElevationRow.ends > now)
        with guarded_session(self.store, "elevations") as s:
            rows = s.execute(query).scalars()
            return list(dict.fromkeys(scope for scopes in rows for scope in scopes))

    def _decide(self, elevation_id, sponsor, approve: bool, note: str) -> Elevation:
        sponsor = check_name(sponsor, "sponsor")
        current = self.get(elevation_id)
        if current is None:
            raise InputError(f"no elevation {elevation_id!r}")
        why = self._refusal(current, sponsor)
        now = self.clock()
        if why is None:
            values = {"status": "approved" if approve else "denied", "decided_by": sponsor, "decided_at": now,
                      "note": str(note or "")[:MAX_TEXT]}
            if approve:
                values |= {"starts": now, "ends": now + timedelta(minutes=current.minutes)}
            with guarded_session(self.store, "elevations") as s:
                done = s.execute(
                    update(ElevationRow)
                    .where(ElevationRow.id == current.id, ElevationRow.status == "pending",
                           ElevationRow.expires > now)
                    .values(**values).execution_options(synchronize_session=False)
                ).rowcount
            if done != 1:
                why = self._refusal(self.get(elevation_id), sponsor) or "the elevation was decided meanwhile"
        if why is not None:
            self._audit(current, "block", "decision refused", sponsor=sponsor, refused=why)
            raise InputError(why)
        decided = self.get(elevation_id)
        self._audit(decided, "allow" if approve else "block", decided.status)
        return decided

    def _refusal(self, current: Elevation, sponsor: str) -> str | None:
        if current.status == "expired":
            return f"elevation {current.id} expired at {current.expires:%Y-%m-%d %H:%M:%S} UTC without an answer"
        if current.status != "pending":
            return f"elevation {current.id} was already {current.status} by {current.decided_by}"
        if sponsor in (current.requested_by, current.principal):
            return f"{sponsor!r} requested elevation {current.id} and cannot decide it"
        principal = self.principals.get(current.principal)
        sponsors = list(getattr(principal, "sponsors", None) or []) if principal is not None else []
        if sponsor not in sponsors:
            return f"{sponsor!r} is not a sponsor of {current.principal!r} (sponsors: {', '.join(sponsors) or 'none'})"
        # A sponsor who is a registered principal must be a person and active (as for approvals).
        registered = self.principals.get(sponsor)
        if registered is not None:
            kind = getattr(registered, "kind", "user")
            if kind != "user":
                return f"only people decide elevations; {sponsor!r} is of kind {kind!r}"
            status_reason = getattr(registered, "status_reason", None)
            reason = status_reason() if callable(status_reason) else None
            if reason:
                return reason
        return None

    def _audit(self, elevation: Elevation | None, action: str, event: str, **extra: Any) -> None:
        if self.audit is None or elevation is None:
            return
        self.audit({
            "principal": elevation.principal, "direction": "elevation",
            "verdict": {"action": action, "policy": f"elevation:{event}"},
            "data": {"elevation": elevation.id, "event": event, "scopes": elevation.scopes,
                     "minutes": elevation.minutes, "requested_by": elevation.requested_by,
                     "justification": elevation.justification, "decided_by": elevation.decided_by,
                     "status": elevation.status, **extra},
        })
