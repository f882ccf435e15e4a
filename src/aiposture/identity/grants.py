"""The OAuth 2.0 grants behind the gateway's token endpoint, free of HTTP.

- Client credentials (RFC 6749 §4.4): `client_id` is a principal's name and
  `client_secret` its API key. Any active principal may use it: an autonomous agent
  gets a token for itself, and a user principal gets the token it then hands to an
  agent to act on its behalf.
- Token exchange (RFC 8693): an agent (authenticated by its own credentials, or by an
  `actor_token` the gateway issued to it) presents a user's token as
  `subject_token`. The result has `sub` = the user and `act` = {`sub`: agent}. The
  user must be an active user principal that allows the agent to act for it (its
  `may_act` attribute: comma-separated agent names or globs), the subject token must
  not itself be delegated, and the scopes are only those both the agent and the
  user's token hold, optionally narrowed by `scope`.

Errors are GrantError with the OAuth error code and a one-line description.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable

from aiposture.identity.principals import Principal, Principals
from aiposture.identity.scopes import ScopeError, intersect, narrow, parse_scope, scopes_of
from aiposture.identity.tokens import TokenClaims, TokenError, Tokens

CLIENT_CREDENTIALS = "client_credentials"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
SUBJECT_TOKEN_TYPES = (ACCESS_TOKEN_TYPE, "urn:ietf:params:oauth:token-type:jwt")


class GrantError(Exception):
    def __init__(self, error: str, description: str, principal: str | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.principal = principal


class Grants:
    def __init__(
        self,
        principals: Principals,
        tokens: Tokens,
        extra_scopes: Callable[[str], list[str]] | None = None,
        audiences: list[str] | None = None,
    ) -> None:
        self.principals = principals
        self.tokens = tokens
        self.extra_scopes = extra_scopes  # e.g. just-in-time elevations, by principal name
        # audiences a token may be requested for: the gateway's own, and e.g. MCP servers behind it
        self.audiences = {tokens.audience, *(audiences or [])}

    def held_scopes(self, principal: Principal) -> list[str]:
        held = scopes_of(principal.models, principal.tools)
        if self.extra_scopes is not None:
            held += [s for s in self.extra_scopes(principal.name) if s not in held]
        return held

    def client(self, client_id: str | None, client_secret: str | None) -> Principal:
        """The authenticated, active client principal."""
        if not client_id or not client_secret:
            raise GrantError("invalid_client", "client authentication required (client_id and client_secret)")
        principal = self.principals.authenticate(client_secret)
        if principal is None or principal.name != client_id:
            raise GrantError("invalid_client", "unknown client or wrong client_secret")
        reason = principal.status_reason()
        if reason:
            raise GrantError("invalid_client", reason, principal.name)
        return principal

    def _issue(self, principal: Principal, held: list[str], scope: str | None, audience: str | None, **kw):
        if audience is not None and audience not in self.audiences:
            raise GrantError("invalid_target", "audience/resource is not served by this gateway", principal.name)
        try:
            granted = narrow(held, parse_scope(scope))
        except ScopeError as exc:
            raise GrantError("invalid_scope", str(exc), principal.name) from None
        return self.tokens.issue(principal.name, scope=granted, audience=audience, **kw)

    def client_credentials(
        self, client_id: str | None, client_secret: str | None, scope: str | None = None,
        audience: str | None = None,
    ) -> tuple[str, TokenClaims]:
        principal = self.client(client_id, client_secret)
        return self._issue(principal, self.held_scopes(principal), scope, audience)

    def _actor(self, client_id, client_secret, actor_token) -> Principal:
        if client_secret or not actor_token:
            return self.client(client_id, client_secret)
        claims = self._verified(actor_token, "actor_token")
        if claims.delegated or (client_id and client_id != claims.client):
            raise GrantError("invalid_grant", "actor_token must be the acting client's own token")
        principal = self.principals.get(claims.client)
        if principal is None or principal.status_reason():
            raise GrantError("invalid_client", f"actor {claims.client!r} is not an active principal")
        return principal

    def _verified(self, token: str | None, what: str) -> TokenClaims:
        if not token:
            raise GrantError("invalid_request", f"{what} is required")
        try:
            return self.tokens.verify(token)
        except TokenError as exc:
            raise GrantError("invalid_grant", f"{what} refused ({exc.reason}): {exc}") from None

    def token_exchange(
        self,
        client_id: str | None,
        client_secret: str | None,
        subject_token: str | None,
        subject_token_type: str | None,
        scope: str | None = None,
        audience: str | None = None,
        actor_token: str | None = None,
    ) -> tuple[str, TokenClaims]:
        agent = self._actor(client_id, client_secret, actor_token)
        if agent.kind not in ("agent", "app"):
            raise GrantError("unauthorized_client", f"{agent.name!r} is a {agent.kind}: only agents and apps "
                             "may act on behalf of a user", agent.name)
        if subject_token_type not in SUBJECT_TOKEN_TYPES:
            raise GrantError("invalid_request", f"subject_token_type must be {ACCESS_TOKEN_TYPE}", agent.name)
        subject = self._verified(subject_token, "subject_token")
        if subject.delegated:
            raise GrantError("invalid_grant", "subject_token is itself delegated; exchange the user's own token",
                             agent.name)
        user = self.principals.get(subject.sub)
        if user is None or user.kind != "user":
            raise GrantError("invalid_grant", "subject_token must belong to a user principal", agent.name)
        if user.status_reason():
            raise GrantError("invalid_grant", user.status_reason(), agent.name)
        allowed = [g.strip() for g in str(user.attributes.get("may_act", "")).split(",") if g.strip()]
        if not any(fnmatch.fnmatchcase(agent.name, g) for g in allowed):
            raise GrantError("invalid_grant", f"user {user.name!r} does not allow {agent.name!r} to act for it "
                             "(user attribute may_act)", agent.name)
        held = intersect(self.held_scopes(agent), list(subject.scope))
        return self._issue(agent, held, scope, audience, sub=user.name, act=agent.name, grant="token_exchange")
