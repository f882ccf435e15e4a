"""The approvals HTTP API: the agent polls its held tool call, a person decides it.

- `GET /v1/approvals/{id}`: the requesting principal or anyone who may approve it
  reads the approval (pending, approved, denied, expired or used); to anyone else
  it does not exist (404), so ids cannot be probed.
- `POST /v1/approvals/{id}/approve` and `/deny` (optional body `{"note": "..."}`):
  the caller decides under the one rule of `aiposture.identity.approvers` (a user who
  owns or sponsors the requesting agent, or carries `approver: true`; never the
  requester nor the end user it acted for), enforced by `Approvals.decide` itself so
  the CLI cannot bypass it. The requester itself is told why not (403
  `not_an_approver`); to anyone else who may not decide, the approval does not exist
  (404, as for GET), so a stranger learns neither that it exists nor who asked. The
  store decides races: of two approvers at once exactly one wins, the other gets 409,
  as does a decision on an expired or decided approval.
Every decision and refused decision is an audit event (`direction` "approval"),
written by `Approvals`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiposture.errors import InputError
from aiposture.gateway.errors import GatewayError
from aiposture.gateway.service import Gateway
from aiposture.gateway.tools import ToolGate, committed
from aiposture.identity.approvals import Approval, Approvals
from aiposture.identity.approvers import NotAnApprover, approver_problem
from aiposture.identity.principals import Principal

MAX_NOTE = 1000


def _error(status: int, message: str, code: str) -> Response:
    return GatewayError(
        status, message, "invalid_request_error" if status < 403 else "policy_violation", code
    ).response()


class ApprovalsApi:
    def __init__(self, gw: Gateway, gate: ToolGate) -> None:
        self.gw = gw
        self.gate = gate
        self.approvals: Approvals = gate.approvals

    def routes(self) -> list[Route]:
        return [
            Route("/v1/approvals/{id}", self.show, methods=["GET"]),
            Route("/v1/approvals/{id}/approve", self.approve, methods=["POST"]),
            Route("/v1/approvals/{id}/deny", self.deny, methods=["POST"]),
        ]

    def _load(self, request: Request) -> tuple[Principal, Approval | None]:
        principal, _claims = self.gw.identify(request)
        return principal, self.approvals.get(request.path_params["id"][:128])

    async def show(self, request: Request) -> Response:
        try:
            who, approval = self._load(request)
        except GatewayError as err:
            return err.response()
        if approval is None or not self._may_see(who, approval):
            return _error(404, "no such approval", "approval_not_found")
        return JSONResponse(_public(approval))

    def _may_see(self, who: Principal, approval: Approval) -> bool:
        """The requester and those who may decide it; to anyone else it does not exist."""
        if who.name == approval.principal:
            return True
        requester = self.gw.principals.get(approval.principal)
        return approver_problem(who.name, who, requester, approval.principal, approval.end_user) is None

    async def approve(self, request: Request) -> Response:
        return await self._decide(request, True)

    async def deny(self, request: Request) -> Response:
        return await self._decide(request, False)

    async def _decide(self, request: Request, approve: bool) -> Response:
        try:
            who, approval = self._load(request)
            note = await self._note(request)
        except GatewayError as err:
            return err.response()
        if approval is None:
            return _error(404, "no such approval", "approval_not_found")
        try:  # Approvals checks who may decide, and audits the decision and a refused one
            decided = self.approvals.decide(approval.id, who.name, approve, note)
        except NotAnApprover as err:  # audited by decide, whoever asked
            await committed(self.gate.drain(), self.gw.config.audit.durable)
            if who.name != approval.principal:
                return _error(404, "no such approval", "approval_not_found")
            return _error(403, str(err), "not_an_approver")
        except InputError as err:
            await committed(self.gate.drain(), self.gw.config.audit.durable)
            return _error(409, str(err), "approval_not_pending")
        if not await committed(self.gate.drain(), self.gw.config.audit.durable):
            return _error(503, "audit trail unavailable; the decision is recorded but not audited", "audit")
        return JSONResponse(_public(decided))

    async def _note(self, request: Request) -> str:
        if not request.headers.get("content-length", "0").strip("0") and "chunked" not in request.headers.get(
            "transfer-encoding", ""
        ):
            return ""
        body = await self.gw.read_json(request)
        note = body.get("note", "")
        if not isinstance(note, str):
            raise GatewayError(400, "'note' must be a string", "invalid_request_error", "invalid_request", "note")
        return note[:MAX_NOTE]


def _public(approval: Approval) -> dict[str, Any]:
    return approval.model_dump(mode="json", exclude={"callback_url"})
