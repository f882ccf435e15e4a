"""Who is calling: an API key (`aip_…`) or an access token (a JWT the gateway's token
endpoint issued), from `Authorization: Bearer`, `api-key` or `x-api-key`.

For a token the principal is the client it was issued to (`client_id`); for a
token-exchange token that is the agent, and the end user is `sub`. Every token is
verified in full on every request (signature through a bounded cache, expiry,
audience, issuer, the shared revocation table); principals are looked up through a
short cache, but their status (expired, attestation overdue) is computed per request.
A refused token is an audit event (direction "token").
"""

from __future__ import annotations

import fnmatch
import time
from pathlib import Path
from typing import Any

from starlette.requests import Request

from aiposture.gateway.config import TokenSettings
from aiposture.gateway.errors import GatewayError, forbidden, unauthorized
from aiposture.identity.keys import KeyRing
from aiposture.identity.principals import Principal, Principals
from aiposture.identity.revocation import Revocations
from aiposture.identity.scopes import allows
from aiposture.identity.tokens import TokenClaims, TokenError, Tokens
from aiposture.store.database import Store

_CACHE_TTL = 5.0
_CACHE_MAX = 10_000


def build_tokens(settings: TokenSettings, state_dir: Path, store: Store) -> Tokens | None:
    """The token service of a gateway (or of the CLI acting for it), None when disabled."""
    if not settings.enabled:
        return None
    keys_dir = settings.keys_dir or Path(state_dir) / "token-keys"
    return Tokens(
        KeyRing.open(keys_dir),
        Revocations(store),
        issuer=settings.issuer,
        audience=settings.audience,
        ttl_s=settings.ttl_s,
        max_ttl_s=settings.max_ttl_s,
        leeway_s=settings.leeway_s,
    )


def credential_of(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("api-key") or request.headers.get("x-api-key")


def token_refused(reason: str, message: str) -> GatewayError:
    return GatewayError(
        401, f"access token refused ({reason}): {message}", "invalid_request_error", "invalid_token",
        headers={"www-authenticate": f'Bearer error="invalid_token", error_description="{reason}"'},
    )


def inactive(principal: Principal, role: str = "principal") -> GatewayError | None:
    """The refusal for a principal that may not act now, or None when it is active."""
    reason = principal.status_reason()
    if reason is None:
        return None
    if role != "principal":
        reason = f"{role} {reason.removeprefix('principal ')}"
    status = principal.status
    if status == "attestation-overdue":
        return forbidden(reason, "attestation_overdue")
    return GatewayError(401, reason, "invalid_request_error",
                        "principal_expired" if status == "expired" else "principal_disabled")


class Identifier:
    def __init__(self, principals: Principals, tokens: Tokens | None, audit: Any | None = None) -> None:
        self.principals = principals
        self.tokens = tokens
        self.audit = audit
        self._by_key: dict[str, tuple[Principal | None, float]] = {}
        self._by_name: dict[str, tuple[Principal | None, float]] = {}

    def _cached(self, cache: dict, key: str, load) -> Principal | None:
        now = time.monotonic()
        hit = cache.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        value = load(key)
        if len(cache) > _CACHE_MAX:
            cache.clear()
        cache[key] = (value, now + _CACHE_TTL)
        return value

    def identify(self, request: Request, principals: Principals | None = None) -> tuple[Principal, TokenClaims | None]:
        """`principals`: the gateway's current store of them (replaceable at run time)."""
        principals = principals or self.principals
        credential = credential_of(request)
        if not credential:
            raise unauthorized("missing API key or access token: send 'Authorization: Bearer <key or token>'")
        claims = None
        if credential.startswith("aip_") or self.tokens is None or credential.count(".") != 2:
            principal = self._cached(self._by_key, credential, principals.authenticate)
            if principal is None:
                raise unauthorized("invalid API key")
        else:
            claims = self._verify(credential, request)
            principal = self._cached(self._by_name, claims.client, principals.get)
            if principal is None:
                raise self._refuse(request, None, "unknown_client", f"client {claims.client!r} no longer exists")
        refusal = inactive(principal)
        if refusal is None and claims is not None and claims.delegated:
            user = self._cached(self._by_name, claims.sub, principals.get)
            refusal = inactive(user, "end user") if user is not None else None
        if refusal is not None:
            raise refusal
        return principal, claims

    def _verify(self, token: str, request: Request) -> TokenClaims:
        try:
            return self.tokens.verify(token)
        except TokenError as exc:
            raise self._refuse(request, None, exc.reason, str(exc)) from None

    def _refuse(self, request: Request, principal: str | None, reason: str, message: str) -> GatewayError:
        if self.audit is not None:
            self.audit.writer.submit({
                "principal": principal, "direction": "token",
                "verdict": {"action": "block", "policy": "tokens", "reason": reason},
                "data": {"event": "token_refused", "route": request.url.path, "reason": reason,
                         "client_ip": request.client.host if request.client else None},
            })
        return token_refused(reason, message)


def model_refusal(principal: Principal, claims: TokenClaims | None, model: str) -> GatewayError | None:
    """The identity's own limits on models: its `models` globs, and a token's granted scope."""
    if not any(fnmatch.fnmatchcase(model, glob) for glob in principal.models):
        return forbidden(f"model {model!r} is not among the models of principal {principal.name!r}",
                         "model_not_allowed", policy=f"identity/{principal.name}/models", param="model")
    if claims is not None and not allows(claims.scope, "model", model):
        return forbidden(f"access token scope does not include model:{model}", "insufficient_scope",
                         policy="tokens/scope", param="model")
    return None
