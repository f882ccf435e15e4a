"""The gateway as an OAuth 2.0 authorization server for its own tokens:
`POST /oauth/token` (RFC 6749 client credentials, RFC 8693 token exchange; form
encoded, OAuth error JSON), `POST /oauth/revoke` (RFC 7009), `GET /.well-known/jwks.json` (the public keys that verify
its tokens) and `GET /.well-known/oauth-authorization-server` (RFC 8414 metadata).

Every token issued or refused is an audit event with direction "token"; neither
secrets nor tokens are ever written there.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiposture.gateway.service import Gateway
from aiposture.identity.grants import ACCESS_TOKEN_TYPE, CLIENT_CREDENTIALS, TOKEN_EXCHANGE, GrantError, Grants
from aiposture.identity.tokens import TokenClaims, TokenError

MAX_FORM_BYTES = 32_768
MAX_FIELD_CHARS = 8_192
_GUESSES = ("invalid_client", "invalid_grant")  # failures that count towards slow_down
_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
_FIELDS = ("grant_type", "client_id", "client_secret", "scope", "audience", "resource", "subject_token",
           "subject_token_type", "actor_token", "actor_token_type", "requested_token_type", "token",
           "token_type_hint")


def oauth_error(error: str, description: str, status: int | None = None) -> Response:
    status = status or (401 if error == "invalid_client" else 400)
    headers = dict(_NO_STORE)
    if status == 401:
        headers["www-authenticate"] = 'Basic realm="aiposture"'
    body = {"error": error, "error_description": description.replace("\n", " ")[:300]}
    return Response(json.dumps(body), status_code=status, media_type="application/json", headers=headers)


async def _read_form(request: Request, timeout_s: float) -> dict[str, str]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise GrantError("invalid_request", "content type must be application/x-www-form-urlencoded")

    async def read() -> bytes:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_FORM_BYTES:
                raise GrantError("invalid_request", f"request body exceeds {MAX_FORM_BYTES} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        raw = await asyncio.wait_for(read(), timeout_s)
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=32, errors="strict")
    except TimeoutError:
        raise GrantError("invalid_request", "request body not received in time") from None
    except (UnicodeDecodeError, ValueError):
        raise GrantError("invalid_request", "request body is not a valid form (UTF-8, at most 32 fields)") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise GrantError("invalid_request", f"parameter {name[:40]!r} is given more than once")
        if len(value) > MAX_FIELD_CHARS:
            raise GrantError("invalid_request", f"parameter {name[:40]!r} is longer than {MAX_FIELD_CHARS}")
        form[name] = value
    return {k: v for k, v in form.items() if k in _FIELDS and v != ""}


def _client_auth(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """HTTP Basic (RFC 6749 §2.3.1, form-urlencoded id and secret) or form fields, not both."""
    auth = request.headers.get("authorization", "")
    if not auth:
        return form.get("client_id"), form.get("client_secret")
    if auth[:6].lower() != "basic " or "client_secret" in form:
        raise GrantError("invalid_request", "use exactly one client authentication: HTTP Basic or form fields")
    try:
        client_id, sep, secret = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise GrantError("invalid_client", "Authorization: Basic is not base64 of id:secret") from None
    if not sep or ("client_id" in form and form["client_id"] != unquote(client_id)):
        raise GrantError("invalid_client", "Authorization: Basic is not id:secret, or names another client_id")
    return unquote(client_id), unquote(secret)


def _grant(grants: Grants, request: Request, form: dict[str, str]) -> tuple[str, TokenClaims]:
    grant = form.get("grant_type")
    if not grant:
        raise GrantError("invalid_request", "grant_type is required")
    client_id, secret = _client_auth(request, form)
    audience = form.get("audience") or form.get("resource")
    if grant == CLIENT_CREDENTIALS:
        return grants.client_credentials(client_id, secret, form.get("scope"), audience)
    if grant == TOKEN_EXCHANGE:
        requested = form.get("requested_token_type")
        if requested not in (None, ACCESS_TOKEN_TYPE):
            raise GrantError("invalid_request", f"requested_token_type must be {ACCESS_TOKEN_TYPE}")
        return grants.token_exchange(client_id, secret, form.get("subject_token"), form.get("subject_token_type"),
                                     form.get("scope"), audience, form.get("actor_token"))
    raise GrantError("unsupported_grant_type", f"grant_type {grant[:80]!r} is not supported "
                     f"(use {CLIENT_CREDENTIALS} or {TOKEN_EXCHANGE})")


async def _audit(gw: Gateway, record: dict) -> None:
    future = gw.audit.writer.submit(record)
    if gw.config.audit.durable:
        try:
            await asyncio.wrap_future(future)
        except Exception:  # noqa: BLE001 - any store failure: no token without its audit event
            raise GrantError("temporarily_unavailable", "audit trail unavailable; no token issued") from None


def _issued(claims: TokenClaims, grant: str, client_ip: str | None) -> dict:
    return {
        "principal": claims.client, "end_user": claims.sub if claims.delegated else None, "direction": "token",
        "verdict": {"action": "allow", "policy": "tokens", "reason": grant},
        "data": {"event": "token_issued", "grant": grant, "jti": claims.jti, "scope": list(claims.scope),
                 "aud": claims.aud, "exp": claims.exp, "act": claims.act, "client_ip": client_ip},
    }


def _refused(err: GrantError, form: dict[str, str], client_ip: str | None) -> dict:
    return {
        "principal": err.principal, "direction": "token",
        "verdict": {"action": "block", "policy": "tokens", "reason": err.error},
        "data": {"event": "token_refused", "grant": (form.get("grant_type") or "")[:80], "error": err.error,
                 "description": err.description[:300], "client_id": (form.get("client_id") or "")[:128] or None,
                 "client_ip": client_ip},
    }


async def _throttle(gw: Gateway, client_ip: str | None, failed: str | None = None) -> float | None:
    """Failed authentications per client IP: with `failed` (an OAuth error) count one when
    it is a guess; without, the seconds to wait when the address is over its limit."""
    limit = gw.config.tokens.max_failures_per_minute
    if not limit or client_ip is None or failed not in (None, *_GUESSES):
        return None
    key = f"oauth-fail:{client_ip}"
    try:
        if failed is not None:
            await gw.limiter.charge(key, limit, 1)
            return None
        allowed, wait = await gw.limiter.take(key, limit, 0)
    except Exception:  # noqa: BLE001 - a limiter outage must not lock every client out
        return None
    return None if allowed else max(1.0, wait)


async def _slow_down(gw: Gateway, client_ip: str | None, wait: float) -> Response:
    seconds = math.ceil(wait)
    err = GrantError("slow_down", f"too many failed authentications from this address; retry in {seconds} s")
    try:
        await _audit(gw, _refused(err, {}, client_ip))
    except GrantError:
        pass
    response = oauth_error(err.error, err.description, 429)
    response.headers["retry-after"] = str(seconds)
    return response


async def token_endpoint(gw: Gateway, request: Request) -> Response:
    if gw.grants is None:
        return oauth_error("unsupported_grant_type", "tokens are disabled on this gateway (tokens.enabled)")
    client_ip = request.client.host if request.client else None
    form: dict[str, str] = {}
    wait = await _throttle(gw, client_ip)
    if wait is not None:
        return await _slow_down(gw, client_ip, wait)
    try:
        form = await _read_form(request, gw.config.limits.client_body_timeout_s)
        token, claims = _grant(gw.grants, request, form)
        grant = form["grant_type"]
        await _audit(gw, _issued(claims, grant, client_ip))
    except GrantError as err:
        await _throttle(gw, client_ip, err.error)
        try:
            await _audit(gw, _refused(err, form, client_ip))
        except GrantError:
            pass  # the refusal stands even when its audit event cannot be written
        status = 503 if err.error == "temporarily_unavailable" else None
        return oauth_error(err.error, err.description, status)
    body = {"access_token": token, "token_type": "Bearer", "expires_in": claims.exp - claims.iat,
            "scope": " ".join(claims.scope)}
    if claims.grant == "token_exchange":
        body["issued_token_type"] = ACCESS_TOKEN_TYPE
    return JSONResponse(body, headers=_NO_STORE)


async def revocation_endpoint(gw: Gateway, request: Request) -> Response:
    """RFC 7009: a client revokes one of its own tokens (a delegated one too). As the RFC
    asks, an unknown, expired or foreign token is answered 200 and changes nothing."""
    if gw.grants is None:
        return oauth_error("unsupported_token_type", "tokens are disabled on this gateway (tokens.enabled)")
    client_ip = request.client.host if request.client else None
    wait = await _throttle(gw, client_ip)
    if wait is not None:
        return await _slow_down(gw, client_ip, wait)
    try:
        form = await _read_form(request, gw.config.limits.client_body_timeout_s)
        client = gw.grants.client(*_client_auth(request, form))
        if not form.get("token"):
            raise GrantError("invalid_request", "token is required", client.name)
    except GrantError as err:
        await _throttle(gw, client_ip, err.error)
        return oauth_error(err.error, err.description)
    revoked = None
    try:
        claims = gw.tokens.verify(form["token"])
    except TokenError:
        claims = None
    if claims is not None and claims.client == client.name:
        gw.tokens.revocations.revoke_token(claims.jti, claims.exp + gw.tokens.leeway_s, f"revoked by {client.name}")
        revoked = claims.jti
    try:
        await _audit(gw, {"principal": client.name, "direction": "token",
                          "verdict": {"action": "block" if revoked else "allow", "policy": "tokens",
                                      "reason": "revoked" if revoked else "revoke_ignored"},
                          "data": {"event": "token_revoked", "jti": revoked, "client_ip": client_ip}})
    except GrantError as err:
        return oauth_error(err.error, err.description, 503)
    return Response(status_code=200, headers=_NO_STORE)


def oauth_routes(gw: Gateway) -> list[Route]:
    async def token(request: Request) -> Response:
        return await token_endpoint(gw, request)

    async def revoke(request: Request) -> Response:
        return await revocation_endpoint(gw, request)

    async def jwks(_request: Request) -> Response:
        if gw.tokens is None:
            return JSONResponse({"keys": []})
        return JSONResponse(gw.tokens.keys.jwks(), headers={"cache-control": "max-age=60"})

    async def metadata(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        issuer = gw.tokens.issuer if gw.tokens else None
        return JSONResponse({
            "issuer": issuer, "token_endpoint": f"{base}/oauth/token", "jwks_uri": f"{base}/.well-known/jwks.json",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "grant_types_supported": [CLIENT_CREDENTIALS, TOKEN_EXCHANGE],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["model:*", "tool:*"],
        })

    return [
        Route("/oauth/token", token, methods=["POST"]),
        Route("/oauth/revoke", revoke, methods=["POST"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
    ]
