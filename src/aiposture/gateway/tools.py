"""The gateway's tool gate: every tool call a model proposes, and every MCP
`tools/call`, is decided by the access policy (Cedar) before it reaches the client
or the tool; the model itself is checked too (`invoke_model`).

A call is *allowed*, *denied* (removed, with the policy's reasons) or *pending*:
the policy marks it high-risk, so an `Approval` is created and the call is held
until a person decides (`/v1/approvals/{id}`). Every decision is an audit event
(`direction` "tool_call" for tools, "authz" for the model check).

The request context the policy sees is built by `toolcalls_caller`.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiposture.audit.trail import AuditTrail
from aiposture.errors import InputError
from aiposture.gateway.errors import forbidden
from aiposture.gateway.toolcalls_caller import Caller, Recent, make_caller
from aiposture.gateway.toolcalls_outcome import ArgumentError, CallOutcome, ProposedCall, check_name, parse_arguments
from aiposture.gateway.toolcalls_text import find_calls, neutralise
from aiposture.identity.access import AccessDecision, AccessPolicyHolder, AccessRequest
from aiposture.identity.approvals import Approvals, arguments_hash
from aiposture.identity.elevation import Elevations
from aiposture.identity.notify import WebhookNotifier
from aiposture.identity.principals import Principal, Principals
from aiposture.identity.scopes import allows

LOOKUP_TTL_S = 2.0  # an elevation or an end user's changed attributes apply within this


def _arguments_digest(arguments: dict) -> str | None:
    """The approvals' hash of the arguments, so an audited call and its approval match."""
    try:
        return arguments_hash(arguments)
    except InputError:
        return None


class ToolGate:
    def __init__(
        self,
        access: AccessPolicyHolder,
        approvals: Approvals | None,
        elevations: Elevations | None,
        principals: Principals,
        audit: AuditTrail,
        *,
        timeout_s: float,
        callback_hosts: list[str] | None = None,
    ) -> None:
        self.access = access
        self.approvals = approvals
        self.elevations = elevations
        self.principals = principals
        self.audit = audit
        self.timeout_s = timeout_s
        self.callback_hosts = list(callback_hosts or [])
        self._futures: list = []
        self.clock = time.monotonic
        self._person = Recent(principals.get, LOOKUP_TTL_S, lambda: self.clock())
        self._elevated = Recent(self._active_scopes, LOOKUP_TTL_S, lambda: self.clock())

    def _active_scopes(self, name: str) -> list[str]:
        return self.elevations.active_scopes(name) if self.elevations is not None else []

    # --- who and in which context ----------------------------------------------
    def caller(self, principal: Principal, **request: Any) -> Caller:
        """The Caller of one request (see `toolcalls_caller.make_caller`)."""
        return make_caller(principal, self._person, self._elevated, self.callback_hosts, **request)

    # --- decisions -----------------------------------------------------------------
    def _decide(self, caller: Caller, action: str, resource: str, arguments: dict) -> AccessDecision:
        policy = self.access.policy
        if policy is None:
            reason = f"access policy unavailable ({self.access.error or 'not loaded'}); refused (fail closed)"
            return AccessDecision(False, False, [reason], [], None)
        req = AccessRequest(caller.principal, action, resource, arguments, caller.context())
        try:
            return policy.authorize(req)
        except Exception as exc:  # noqa: BLE001 - a policy fault must not let a call through
            return AccessDecision(False, False, [f"policy evaluation failed ({exc.__class__.__name__})"], [], None)

    def check_model(self, caller: Caller, model: str) -> None:
        """Raise 403 unless the access policy lets this principal invoke the model."""
        decision = self._decide(caller, "invoke_model", model, {})
        allowed = decision.allowed and not decision.needs_approval
        reasons = list(decision.reasons)
        if decision.needs_approval:
            reasons.append("a model call cannot wait for approval")
        self._audit(caller, "authz", model, "allow" if allowed else "block", reasons, decision.policies, {})
        if not allowed:
            raise forbidden(
                f"model {model!r} denied for principal {caller.principal.name!r} by the access policy: "
                f"{'; '.join(reasons) or 'no policy permits it'}",
                "model_not_allowed",
                policy=",".join(decision.policies) or "access",
                param="model",
            )

    def authorize(
        self, caller: Caller, call: ProposedCall, server: str | None = None, approval_id: Any = None
    ) -> CallOutcome:
        """Decide one proposed call. A high-risk one is held (a new Approval), unless
        `approval_id` names an approved one for exactly this call, which is used up."""
        try:
            name = check_name(call.name)
            arguments = parse_arguments(call.arguments, call.too_large, json_text=call.source != "mcp")
        except ArgumentError as err:
            outcome = CallOutcome(call, "denied", [str(err)], ["aiposture/tool-call-format"])
            self._record(caller, outcome, str(call.name)[:128], {})
            return outcome
        resource = f"{server}/{name}" if server else name
        if caller.token_bound and not allows(caller.scopes, "tool", resource):
            reasons = [f"access token scope does not include tool:{resource} (nor does an active elevation)"]
            outcome = CallOutcome(call, "denied", reasons, ["tokens/scope"])
            self._record(caller, outcome, resource, arguments)
            return outcome
        decision = self._decide(caller, "call_tool", resource, arguments)
        if not decision.allowed:
            reasons = decision.reasons or [f"no policy permits {resource!r}"]
            outcome = CallOutcome(call, "denied", reasons, decision.policies, decision.risk)
        elif decision.needs_approval and approval_id is not None:
            outcome = self._use_approval(caller, call, resource, arguments, decision, approval_id)
        elif decision.needs_approval:
            outcome = self._approved_or_held(caller, call, resource, arguments, decision)
        else:
            outcome = CallOutcome(call, "allowed", decision.reasons, decision.policies, decision.risk)
        self._record(caller, outcome, resource, arguments)
        return outcome

    def may_call(self, caller: Caller, name: Any, server: str | None = None) -> bool:
        """Whether a tool is callable at all (allowed, or with an approval); no side effects."""
        try:
            name = check_name(name)
        except ArgumentError:
            return False
        return self._decide(caller, "call_tool", f"{server}/{name}" if server else name, {}).allowed

    def invocable(self, principal: Principal, headers: Any, models: list[dict]) -> list[dict]:
        """The model entries (`id`) this principal may invoke, for a model listing."""
        caller = self.caller(principal, request_id="models", headers=headers)
        return [m for m in models if self._decide(caller, "invoke_model", m["id"], {}).allowed]

    def _use_approval(
        self, caller: Caller, call: ProposedCall, resource: str, arguments: dict, decision, approval_id: Any
    ) -> CallOutcome:
        if self.approvals is None or not isinstance(approval_id, str):
            return CallOutcome(call, "denied", ["the approval id must be a string"], decision.policies, decision.risk)
        try:
            approval = self.approvals.consume(approval_id, caller.principal.name, resource, arguments)
        except InputError as err:
            return CallOutcome(
                call,
                "denied",
                [f"approval {approval_id[:64]!r} refused: {err}"],
                decision.policies,
                decision.risk,
                approval_id=None,
            )
        reasons = [*decision.reasons, f"approved by {approval.decided_by} (approval {approval.id}, now used)"]
        return CallOutcome(call, "allowed", reasons, decision.policies, decision.risk)

    def _approved_or_held(
        self, caller: Caller, call: ProposedCall, resource: str, arguments: dict, decision: AccessDecision
    ) -> CallOutcome:
        """A retried request may carry approved ids (APPROVAL_HEADER): one that fits this
        exact call is used up and the call goes through; otherwise a new approval is asked."""
        refusals = []
        for approval_id in caller.approvals:
            if approval_id in caller.used:
                continue
            outcome = self._use_approval(caller, call, resource, arguments, decision, approval_id)
            if outcome.status == "allowed":
                caller.used.add(approval_id)
                return outcome
            refusals += outcome.reasons
        held = self._hold(caller, call, resource, arguments, decision)
        held.reasons = refusals + held.reasons
        return held

    def _hold(
        self, caller: Caller, call: ProposedCall, resource: str, arguments: dict, decision: AccessDecision
    ) -> CallOutcome:
        if self.approvals is None:
            reasons = [*decision.reasons, "needs human approval, and no approval queue is configured"]
            return CallOutcome(call, "denied", reasons, decision.policies, decision.risk)
        try:
            approval = self.approvals.request(
                caller.principal.name,
                resource,
                arguments,
                reason="; ".join(decision.reasons) or "high-risk tool",
                risk=decision.risk,
                timeout_s=self.timeout_s,
                end_user=caller.end_user,
                callback_url=caller.callback_url,
                request_id=caller.request_id,
            )
        except InputError as err:
            return CallOutcome(call, "denied", [*decision.reasons, f"cannot be held: {err}"], decision.policies)
        return CallOutcome(
            call,
            "pending",
            [*decision.reasons, f"{decision.risk or 'high-risk'}: held for human approval"],
            decision.policies,
            decision.risk,
            approval_id=approval.id,
            poll_url=f"{caller.base_url}/v1/approvals/{approval.id}",
            expires=approval.expires.isoformat() if approval.expires else None,
        )

    # --- text ------------------------------------------------------------------------
    def smuggled(self, caller: Caller, text: str) -> tuple[str, list[CallOutcome]]:
        """Neutralise tool invocations written in text for tools that are not plainly
        allowed (denied or high-risk); such calls are never held for approval."""
        refused, outcomes = [], []
        for found in find_calls(text):
            call = ProposedCall(found.name, {}, None, "text")
            decision = self._decide(caller, "call_tool", found.name, {})
            if decision.allowed and not decision.needs_approval:
                continue
            reasons = [
                f"tool call written in text instead of the structured field; {found.name!r} is "
                + ("high-risk and needs a structured call and an approval" if decision.needs_approval else "denied"),
                *decision.reasons,
            ]
            outcome = CallOutcome(call, "denied", reasons, decision.policies, decision.risk)
            self._record(caller, outcome, found.name, {})
            refused.append(found)
            outcomes.append(outcome)
        return (neutralise(text, refused) if refused else text), outcomes

    # --- audit -----------------------------------------------------------------------
    def _record(self, caller: Caller, outcome: CallOutcome, resource: str, arguments: dict) -> None:
        action = {"allowed": "allow", "denied": "block", "pending": "hold"}[outcome.status]
        extra = {"source": outcome.call.source, "status": outcome.status, "call_id": outcome.call.id}
        if outcome.approval_id:
            extra["approval"] = outcome.approval_id
        if outcome.risk:
            extra["risk"] = outcome.risk
        self._audit(caller, "tool_call", resource, action, outcome.reasons, outcome.policies, arguments, extra)

    def _audit(
        self,
        caller: Caller,
        direction: str,
        resource: str,
        action: str,
        reasons: list[str],
        policies: list[str],
        arguments: dict,
        extra: dict | None = None,
    ) -> None:
        data = {
            "request_id": caller.request_id,
            "resource": resource,
            "reasons": reasons,
            "policies": policies,
            "arguments_sha256": _arguments_digest(arguments),
            "client_ip": caller.client_ip,
            **(extra or {}),
        }
        self.submit(
            {
                "principal": caller.principal.name,
                "end_user": caller.end_user,
                "app": caller.app,
                "model": caller.model,
                "direction": direction,
                "verdict": {"action": action, "policy": ",".join(policies) or None, "reason": "; ".join(reasons)},
                "data": data,
            }
        )
        caller.audits += self.drain()

    def submit(self, record: dict) -> Any:
        """Audit a record; its future waits in `drain()` for the request to collect. The
        event loop runs one request's synchronous decisions at a time, so the list only
        ever holds the current request's events."""
        future = self.audit.writer.submit(record)
        self._futures.append(future)
        return future

    def drain(self) -> list:
        futures, self._futures = self._futures, []
        return futures


async def committed(futures: list, durable: bool) -> bool:
    """Wait for these audit events to be committed when the trail is durable; False
    when one could not be written."""
    ok = True
    for future in futures if durable else ():
        try:
            await asyncio.wrap_future(future)
        except Exception:  # noqa: BLE001 - any store failure
            ok = False
    return ok


class DeferredNotifier:
    """Sends approval webhooks from a worker thread, so a slow receiver never stalls
    the gateway's event loop (the notifier itself posts synchronously)."""

    def __init__(self, notifier: WebhookNotifier) -> None:
        self.notifier = notifier
        self.callback_hosts = notifier.callback_hosts
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="aiposture-webhook")

    def requested(self, approval: Any) -> list[bool]:
        self._pool.submit(self.notifier.requested, approval)
        return []

    def decided(self, approval: Any) -> list[bool]:
        self._pool.submit(self.notifier.decided, approval)
        return []


def tool_gate(config: Any, principals: Principals, audit: AuditTrail, store: Any) -> ToolGate | None:
    """The gate for a gateway config, or None when no `access` policy folder is set.
    A folder that does not load stops the start (a gateway must not run open)."""
    if config.access is None:
        return None
    holder = AccessPolicyHolder(config.access)
    if holder.policy is None:
        raise InputError(f"access policies in {config.access} do not load: {holder.error}")
    settings = config.approvals
    notifier = WebhookNotifier(settings.webhook_url, settings.webhook_secret(), callback_hosts=settings.callback_hosts)
    gate = ToolGate(
        holder, None, None, principals, audit, timeout_s=settings.timeout_s, callback_hosts=settings.callback_hosts
    )
    gate.approvals = Approvals(store, DeferredNotifier(notifier), audit=gate.submit)
    gate.elevations = Elevations(store, principals, audit=gate.submit)
    return gate
