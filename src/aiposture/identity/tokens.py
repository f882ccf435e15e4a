"""Short-lived, audience-bound, scoped access tokens: JWTs signed with Ed25519.

Only `EdDSA` is accepted (the header is read first, so `none`, HS256 keyed with the
public key and RS*/ES* tokens are refused before any key is touched), the `kid` must
name a key of the ring (the signature is checked through libsodium, see
sodium_eddsa.py), and the claims are checked on every call: expiry,
not-before, issuer, audience, and the shared revocation table. A bounded cache of
verified signatures (keyed by the whole token text) skips the Ed25519 check for a
token seen before; everything else is still checked each time.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import jwt
from jwt.exceptions import InvalidSignatureError, InvalidTokenError

from aiposture.errors import AIPostureError, InputError, StoreError
from aiposture.identity.keys import KeyRing
from aiposture.identity.revocation import Revocations
from aiposture.identity.sodium_eddsa import SodiumEd25519, verify_key

ALGORITHMS = ("EdDSA",)
TOKEN_TYPE = "at+jwt"
MAX_TOKEN_CHARS = 8192
REASONS = ("malformed", "bad_algorithm", "unknown_key", "bad_signature", "expired", "not_yet_valid",
           "wrong_audience", "wrong_issuer", "revoked")


class TokenError(AIPostureError):
    """A token was refused; `reason` is one of REASONS, the message one line."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class TokenClaims:
    jti: str
    sub: str
    aud: str
    iss: str
    exp: int
    iat: int
    nbf: int
    scope: tuple[str, ...]
    act: str | None
    client: str
    grant: str
    kid: str = ""

    @property
    def delegated(self) -> bool:
        return self.act is not None

    def payload(self) -> dict:
        data = {"iss": self.iss, "sub": self.sub, "aud": self.aud, "exp": self.exp, "iat": self.iat,
                "nbf": self.nbf, "jti": self.jti, "scope": " ".join(self.scope), "client_id": self.client,
                "grant": self.grant}
        if self.act is not None:
            data["act"] = {"sub": self.act}
        return data


def mask_token(token: str | None) -> str:
    """A token for a log line: never the signature or the claims."""
    if not token:
        return "<none>"
    return f"{token[:6]}…({len(token)} chars)"


def _segment(text: str) -> dict:
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise TokenError("malformed", "token header is not base64url JSON") from None
    if not isinstance(data, dict):
        raise TokenError("malformed", "token header is not a JSON object")
    return data


def _text(payload: dict, name: str, limit: int = 256) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise TokenError("malformed", f"token claim {name!r} is missing or not a string")
    return value


def _number(payload: dict, name: str) -> int:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenError("malformed", f"token claim {name!r} is missing or not a number")
    return int(value)


def _claims(payload: dict, kid: str) -> TokenClaims:
    aud = payload.get("aud")
    if isinstance(aud, list) and len(aud) == 1:
        aud = aud[0]
    scope = payload.get("scope", "")
    act = payload.get("act")
    bad_act = act is not None and not (isinstance(act, dict) and isinstance(act.get("sub"), str))
    if not isinstance(scope, str) or bad_act:
        raise TokenError("malformed", "token claim 'scope' or 'act' has the wrong type")
    if not isinstance(aud, str):
        raise TokenError("malformed", "token claim 'aud' must be one string")
    return TokenClaims(
        jti=_text(payload, "jti", 64), sub=_text(payload, "sub"), aud=aud, iss=_text(payload, "iss"),
        exp=_number(payload, "exp"), iat=_number(payload, "iat"), nbf=_number(payload, "nbf"),
        scope=tuple(scope.split()), act=act["sub"] if act else None, client=_text(payload, "client_id"),
        grant=_text(payload, "grant", 32), kid=kid,
    )


class Tokens:
    """Issues and verifies the gateway's tokens."""

    def __init__(
        self,
        keys: KeyRing,
        revocations: Revocations | None,
        *,
        issuer: str,
        audience: str,
        ttl_s: int = 900,
        max_ttl_s: int = 3600,
        leeway_s: int = 30,
        cache_size: int = 20_000,
    ) -> None:
        self.keys = keys
        self.revocations = revocations
        self.issuer = issuer
        self.audience = audience
        self.ttl_s = ttl_s
        self.max_ttl_s = max(max_ttl_s, ttl_s)
        self.leeway_s = leeway_s
        self.cache_size = cache_size
        self._cache: OrderedDict[str, TokenClaims] = OrderedDict()
        self._jws = jwt.PyJWS(algorithms=[])  # only EdDSA, checked through libsodium (sodium_eddsa.py)
        self._jws.register_algorithm("EdDSA", SodiumEd25519())
        self._verify_keys: dict[str, object] = {}

    # --- issuing ---------------------------------------------------------------
    def issue(
        self,
        client: str,
        *,
        sub: str | None = None,
        scope: Iterable[str] = (),
        audience: str | None = None,
        ttl_s: int | None = None,
        act: str | None = None,
        grant: str = "client_credentials",
        now: float | None = None,
    ) -> tuple[str, TokenClaims]:
        ttl = self.ttl_s if ttl_s is None else ttl_s
        if not (isinstance(ttl, int) and 1 <= ttl <= self.max_ttl_s):
            raise InputError(f"token lifetime must be 1..{self.max_ttl_s} seconds, not {ttl!r}")
        issued = int(time.time() if now is None else now)
        key = self.keys.active
        claims = TokenClaims(
            jti=secrets.token_urlsafe(16), sub=sub or client, aud=audience or self.audience, iss=self.issuer,
            exp=issued + ttl, iat=issued, nbf=issued, scope=tuple(scope), act=act, client=client, grant=grant,
            kid=key.kid,
        )
        token = jwt.encode(claims.payload(), key.private, algorithm="EdDSA",
                           headers={"kid": key.kid, "typ": TOKEN_TYPE})
        return token, claims

    # --- verifying -------------------------------------------------------------
    def _signature(self, token: str) -> TokenClaims:
        """Header checks, then the Ed25519 signature (PyJWT), then the claim types."""
        header = _segment(token.split(".", 1)[0])
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise TokenError("bad_algorithm", f"token algorithm {str(alg)[:20]!r} is not accepted (only EdDSA)")
        if header.get("typ", TOKEN_TYPE) != TOKEN_TYPE or "crit" in header:
            raise TokenError("malformed", f"token type must be {TOKEN_TYPE!r}, without critical headers")
        kid = header.get("kid")
        public = self.keys.public_key(kid)
        if public is None:
            raise TokenError("unknown_key", "token key id is not a key of this gateway (rotated out or forged)")
        sodium_key = self._verify_keys.get(kid)
        if sodium_key is None:
            sodium_key = self._verify_keys[kid] = verify_key(public)
        try:
            payload = json.loads(
                self._jws.decode_complete(token, key=sodium_key, algorithms=list(ALGORITHMS))["payload"]
            )
        except InvalidSignatureError:
            raise TokenError("bad_signature", "token signature does not verify (tampered or forged)") from None
        except (InvalidTokenError, ValueError, UnicodeDecodeError):
            raise TokenError("malformed", "token is not a well-formed JWS") from None
        if not isinstance(payload, dict):
            raise TokenError("malformed", "token payload is not a JSON object")
        return _claims(payload, kid)

    def _verified(self, token: str) -> TokenClaims:
        claims = self._cache.get(token)
        if claims is not None and self.keys.has(claims.kid):
            return claims
        claims = self._signature(token)
        if self.cache_size:
            self._cache[token] = claims
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return claims

    def verify(self, token: object, *, audience: str | None = None, now: float | None = None) -> TokenClaims:
        """The token's claims, or TokenError with its reason."""
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS or token.count(".") != 2:
            raise TokenError("malformed", "token is not a compact JWS (three dot-separated parts)")
        claims = self._verified(token)
        at = time.time() if now is None else now
        if at >= claims.exp + self.leeway_s:
            raise TokenError("expired", "token has expired")
        if at + self.leeway_s < claims.nbf or at + self.leeway_s < claims.iat:
            raise TokenError("not_yet_valid", "token is not valid yet (nbf/iat in the future)")
        if claims.iss != self.issuer:
            raise TokenError("wrong_issuer", "token was issued by another issuer")
        if claims.aud != (audience or self.audience):
            raise TokenError("wrong_audience", "token is meant for another audience")
        if self.revocations is not None:
            try:
                hit = self.revocations.revoked(claims.jti, (claims.client, claims.sub), claims.iat)
            except StoreError as exc:
                raise TokenError("revoked", f"revocation list unavailable, refused (fail closed): {exc}") from None
            if hit is not None:
                what = "token" if hit.startswith("jti:") else f"every token of {hit[4:]!r} issued until then"
                raise TokenError("revoked", f"token was revoked ({what})")
        return claims
