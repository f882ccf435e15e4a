"""Who proposes the tool calls of one request, and the context the access policy reads.

`AccessRequest.context`:
- `on_behalf_of`: the end user — the token's subject for a token-exchange token,
  else the end-user header or the request's `user` field;
- `time` (ISO 8601, UTC) and `source_ip` (the client's address);
- `scopes`: the token's granted scopes plus the principal's active elevations;
- `sensitivity`: the highest label of what the guard found in the request
  (before redaction), by the gateway policy's `sensitivity` map;
- `user_risk` and `terms_accepted`: from the end user's registered principal
  (attributes `user_risk`, `terms_accepted`) when there is one — a user principal
  calling with no end user named is its own end user — a directory value
  wins over anything the calling app says (`identity.end_user`, which `aiposture
  policy test --registry` uses too); otherwise from the calling app's
  headers `x-aiposture-user-risk` (low|medium|high) and
  `x-aiposture-terms-accepted` (true|false); otherwise "unknown" and false.
- `approvals`: ids from `x-aiposture-approval` on a retried request, which a held
  call may use once approved (see `tools.ToolGate`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiposture.errors import InputError
from aiposture.gateway.config import Policy
from aiposture.gateway.decide import sensitivity_of
from aiposture.identity.end_user import RISKS, end_user_context, end_user_record, truthy
from aiposture.identity.notify import check_callback_url
from aiposture.identity.principals import Principal
from aiposture.model import Detection

USER_RISK_HEADER = "x-aiposture-user-risk"
TERMS_HEADER = "x-aiposture-terms-accepted"
CALLBACK_HEADER = "x-aiposture-callback-url"
APPROVAL_HEADER = "x-aiposture-approval"  # approved ids a retried request may use, comma-separated
_MAX_APPROVALS = 8


@dataclass
class Caller:
    """Who proposes the calls of one request, and the context the policy reads."""

    principal: Principal
    request_id: str
    end_user: str | None = None
    client_ip: str | None = None
    scopes: list[str] = field(default_factory=list)
    token_bound: bool = False  # called with an access token: its scopes (plus elevations) bound the tools
    sensitivity: str = "public"
    user_risk: str = "unknown"
    terms_accepted: bool = False
    base_url: str = ""
    callback_url: str | None = None
    app: str | None = None
    model: str | None = None
    approvals: list[str] = field(default_factory=list)  # from APPROVAL_HEADER
    used: set[str] = field(default_factory=set)
    audits: list = field(default_factory=list)  # futures of this request's decision events

    def context(self) -> dict:
        ctx: dict[str, Any] = {
            "on_behalf_of": self.end_user or "",
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "user_risk": self.user_risk,
            "terms_accepted": self.terms_accepted,
            "sensitivity": self.sensitivity,
            "scopes": list(self.scopes),
        }
        if self.client_ip:
            ctx["source_ip"] = self.client_ip
        return ctx


def request_sensitivity(policy: Policy, verdict: dict) -> str:
    """The highest sensitivity label of what the guard found in the request."""
    detections = []
    for det in verdict.get("detections") or []:
        try:
            detections.append(Detection.model_validate(det))
        except ValueError:
            continue
    return sensitivity_of(policy, detections)


class Recent:
    """Values loaded by key and kept `ttl_s` seconds, so the per-request lookups (the
    end user's record, the principal's active elevations: a database query each, a few
    hundred microseconds) run at most once per key and period. A change made elsewhere
    (the CLI, another worker) shows within `ttl_s`."""

    def __init__(self, load: Callable[[str], Any], ttl_s: float, clock: Callable[[], float], size: int = 4096):
        self.load, self.ttl_s, self.clock, self.size = load, ttl_s, clock, size
        self._values: dict[str, tuple[Any, float]] = {}

    def __call__(self, key: str) -> Any:
        now = self.clock()
        kept = self._values.get(key)
        if kept is None or kept[1] <= now:
            if len(self._values) >= self.size:
                self._values.clear()
            kept = self._values[key] = (self.load(key), now + self.ttl_s)
        return kept[0]


def make_caller(
    principal: Principal,
    person_of: Callable[[str], Principal | None],
    elevated: Callable[[str], list[str]],
    callback_hosts: list[str],
    *,
    request_id: str,
    headers: Any,
    claims: Any = None,
    end_user: str | None = None,
    client_ip: str | None = None,
    base_url: str = "",
) -> Caller:
    if claims is not None and claims.act:
        end_user = claims.sub
    scopes = list(claims.scope) if claims is not None else []
    scopes += [s for s in elevated(principal.name) if s not in scopes]
    caller = Caller(
        principal=principal,
        request_id=request_id,
        end_user=end_user,
        client_ip=client_ip,
        scopes=scopes,
        token_bound=claims is not None,
        base_url=base_url.rstrip("/"),
        callback_url=_callback(headers.get(CALLBACK_HEADER), callback_hosts),
        approvals=[a.strip() for a in (headers.get(APPROVAL_HEADER) or "").split(",") if a.strip()][:_MAX_APPROVALS],
        app=principal.app_name,
    )
    risk = (headers.get(USER_RISK_HEADER) or "").strip().lower()
    # the end user's record (a user calling for itself is its own end user) wins over the headers
    known = end_user_context(end_user_record(principal, end_user, person_of))
    caller.user_risk = known.get("user_risk", risk if risk in RISKS else "unknown")
    caller.terms_accepted = known.get("terms_accepted", truthy(headers.get(TERMS_HEADER)))
    return caller


def _callback(url: str | None, hosts: list[str]) -> str | None:
    """A callback URL from the client, only to a host the operator listed (else ignored)."""
    if not url or not hosts:
        return None
    try:
        return check_callback_url(url, hosts)
    except InputError:
        return None
