"""Human in the loop: a high-risk tool call waits for a person's approval.

`request` stores the call (arguments with secrets masked, for the reviewer; the SHA-256
of the canonical arguments, for binding) and notifies; a pending request past its
`expires` reads as "expired", which means deny. `decide` is one conditional UPDATE
(`WHERE status = 'pending' AND expires > now`), so of two approvers racing exactly one
wins and the other is told who did. `consume` is single use and bound to the same
principal, tool and arguments, within the same time window after the decision.
Every request, decision, refusal and use is an audit event (direction "approval").
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select, update

from aiposture.errors import InputError
from aiposture.identity.access_db import aware, check_name, guarded_session
from aiposture.identity.approvers import NotAnApprover, approver_problem
from aiposture.identity.notify import WebhookNotifier, check_callback_url
from aiposture.identity.principals import Principals
from aiposture.identity.secrets_mask import mask_arguments
from aiposture.store.database import Store
from aiposture.store.tables_access import ApprovalRow

ApprovalStatus = Literal["pending", "approved", "denied", "expired", "used"]
STATUSES = ("pending", "approved", "denied", "expired", "used")
MAX_TIMEOUT_S = 7 * 24 * 3600
MAX_ARGUMENTS_BYTES = 64 * 1024
MAX_TEXT = 2000


class Approval(BaseModel):
    id: str
    principal: str
    end_user: str | None = None
    tool: str
    arguments: dict  # secrets masked
    arguments_hash: str
    reason: str
    risk: str | None = None
    status: ApprovalStatus
    created: datetime
    expires: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""
    callback_url: str | None = None
    request_id: str | None = None
    use_by: datetime | None = None


def arguments_hash(arguments: dict) -> str:
    try:
        text = json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        raise InputError("tool arguments are not plain JSON") from None
    if len(text.encode("utf-8")) > MAX_ARGUMENTS_BYTES:
        raise InputError(f"tool arguments are larger than {MAX_ARGUMENTS_BYTES} bytes")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _to_model(row: ApprovalRow, now: datetime) -> Approval:
    status = row.status
    if status == "pending" and aware(row.expires) <= now:
        status = "expired"
    return Approval(
        id=row.id, principal=row.principal, end_user=row.end_user, tool=row.tool, arguments=row.arguments,
        arguments_hash=row.arguments_hash, reason=row.reason, risk=row.risk, status=status,
        created=aware(row.created), expires=aware(row.expires), decided_by=row.decided_by,
        decided_at=aware(row.decided_at), note=row.note, callback_url=row.callback_url,
        request_id=row.request_id, use_by=aware(row.use_by),
    )


class Approvals:
    def __init__(self, store: Store, notifier: WebhookNotifier | None = None, *,
                 audit: Callable[[dict], Any] | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.notifier = notifier
        self.audit = audit
        self.clock = clock or (lambda: datetime.now(UTC))

    def request(self, principal, tool, arguments, *, reason, risk, timeout_s, end_user=None, callback_url=None,
                request_id=None) -> Approval:
        principal_name = check_name(principal, "principal")
        if not isinstance(tool, str) or not tool or len(tool) > 256:
            raise InputError("tool must be a name of 1-256 characters")
        if not isinstance(arguments, dict):
            raise InputError("tool arguments must be a JSON object")
        if not isinstance(timeout_s, int | float) or not 0 < timeout_s <= MAX_TIMEOUT_S:
            raise InputError(f"timeout_s must be between 1 and {MAX_TIMEOUT_S} seconds")
        if self.notifier is not None:
            callback_url = check_callback_url(callback_url, self.notifier.callback_hosts)
        else:
            callback_url = check_callback_url(callback_url)
        digest = arguments_hash(arguments)
        now = self.clock()
        row = ApprovalRow(
            id="apr_" + secrets.token_hex(10), principal=principal_name,
            end_user=check_name(end_user, "end_user") if end_user else None, tool=tool,
            arguments=mask_arguments(arguments), arguments_hash=digest, reason=str(reason or "")[:MAX_TEXT],
            risk=(str(risk)[:256] if risk else None), status="pending", created=now,
            expires=now + timedelta(seconds=timeout_s), note="", callback_url=callback_url,
            request_id=str(request_id)[:128] if request_id else None,
        )
        with guarded_session(self.store, "approvals") as s:
            s.add(row)
        approval = _to_model(row, now)
        self._audit(approval, "hold", "requested")
        if self.notifier is not None:
            self.notifier.requested(approval)
        return approval

    def get(self, approval_id) -> Approval | None:
        with guarded_session(self.store, "approvals") as s:
            row = s.get(ApprovalRow, str(approval_id)[:32])
            return _to_model(row, self.clock()) if row else None

    def list(self, status=None, limit: int = 500) -> list[Approval]:
        """Newest first, at most `limit`; "pending" and "expired" are told apart by time."""
        if status is not None and status not in STATUSES:
            raise InputError(f"unknown approval status {status!r}: one of {', '.join(STATUSES)}")
        now = self.clock()
        query = select(ApprovalRow).order_by(ApprovalRow.created.desc()).limit(max(1, int(limit)))
        if status == "pending":
            query = query.where(ApprovalRow.status == "pending", ApprovalRow.expires > now)
        elif status == "expired":
            query = query.where(ApprovalRow.status == "pending", ApprovalRow.expires <= now)
        elif status is not None:
            query = query.where(ApprovalRow.status == status)
        with guarded_session(self.store, "approvals") as s:
            return [_to_model(r, now) for r in s.execute(query).scalars()]

    def decide(self, approval_id, approver, approve: bool, note="") -> Approval:
        approver = check_name(approver, "approver")
        now = self.clock()
        new = "approved" if approve else "denied"
        before = self.get(approval_id)
        if before is None:
            raise InputError(f"no approval {approval_id!r}")
        registry = Principals(self.store)
        problem = approver_problem(approver, registry.get(approver), registry.get(before.principal),
                                   before.principal, before.end_user)
        if problem is not None:
            self._audit(before, "block", "decision refused", approver=approver, refused=f"not an approver: {problem}")
            raise NotAnApprover(problem)
        window = before.expires - before.created
        # a transaction of its own whose first statement is the UPDATE (no read snapshot to upgrade)
        with guarded_session(self.store, "approvals") as s:
            done = s.execute(
                update(ApprovalRow)
                .where(ApprovalRow.id == before.id, ApprovalRow.status == "pending", ApprovalRow.expires > now)
                .values(status=new, decided_by=approver, decided_at=now, note=str(note or "")[:MAX_TEXT],
                        use_by=now + window if approve else None)
                .execution_options(synchronize_session=False)
            ).rowcount
        current = self.get(approval_id)
        if done != 1:
            why = self._refusal(current)
            self._audit(current, "block", "decision refused", approver=approver, refused=why)
            raise InputError(why)
        self._audit(current, "allow" if approve else "block", new)
        if self.notifier is not None:
            self.notifier.decided(current)
        return current

    def consume(self, approval_id, principal, tool, arguments) -> Approval:
        current = self.get(approval_id)
        if current is None:
            raise InputError(f"no approval {approval_id!r}")
        why = self._binding_refusal(current, check_name(principal, "principal"), tool, arguments)
        if why is None:
            now = self.clock()
            with guarded_session(self.store, "approvals") as s:
                done = s.execute(
                    update(ApprovalRow)
                    .where(ApprovalRow.id == current.id, ApprovalRow.status == "approved",
                           ApprovalRow.use_by > now)
                    .values(status="used").execution_options(synchronize_session=False)
                ).rowcount
            why = None if done == 1 else self._refusal(self.get(approval_id), use=True)
        if why is not None:
            self._audit(current, "block", "use refused", refused=why)
            raise InputError(why)
        used = self.get(approval_id)
        self._audit(used, "allow", "used")
        return used

    def _binding_refusal(self, current: Approval, principal: str, tool: Any, arguments: Any) -> str | None:
        if current.status != "approved":
            return self._refusal(current, use=True)
        if current.principal != principal:
            return f"approval {current.id} was granted to {current.principal!r}, not {principal!r}"
        if current.tool != tool:
            return f"approval {current.id} is for tool {current.tool!r}, not {tool!r}"
        if not isinstance(arguments, dict) or arguments_hash(arguments) != current.arguments_hash:
            return f"approval {current.id} was granted for other arguments"
        return None

    def _refusal(self, current: Approval | None, use: bool = False) -> str:
        if current is None:
            return "no such approval"
        if current.status == "expired":
            return f"approval {current.id} expired at {current.expires:%Y-%m-%d %H:%M:%S} UTC without an answer (deny)"
        if current.status == "pending":
            return f"approval {current.id} is still pending"
        if current.status == "used":
            return f"approval {current.id} was already used"
        if use and current.status == "approved":
            return f"approval {current.id} had to be used by {current.use_by:%Y-%m-%d %H:%M:%S} UTC"
        if use and current.status == "denied":
            return f"approval {current.id} was denied by {current.decided_by}"
        return f"approval {current.id} was already {current.status} by {current.decided_by}"

    def _audit(self, approval: Approval | None, action: str, event: str, **extra: Any) -> None:
        if self.audit is None or approval is None:
            return
        self.audit({
            "principal": approval.principal, "end_user": approval.end_user, "direction": "approval",
            "verdict": {"action": action, "policy": f"approval:{event}",
                        **({"reason": extra["refused"]} if "refused" in extra else {})},
            "data": {"approval": approval.id, "event": event, "tool": approval.tool, "status": approval.status,
                     "risk": approval.risk, "decided_by": approval.decided_by, "note": approval.note,
                     "arguments_hash": approval.arguments_hash, **extra},
        })
