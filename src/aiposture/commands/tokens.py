"""`aiposture tokens issue|revoke|revocations|keys rotate|keys list`: the gateway's
access tokens from the command line (an operator with the database and key folder).

Settings come from `--config gateway.yaml` (its `tokens:` section, state_dir and
database) or, without one, from the defaults and AIPOSTURE_* (state_dir, db)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from aiposture.audit.chain import utc_now_text
from aiposture.audit.trail import AuditTrail, default_key_path
from aiposture.commands.common import DbOption, run_command, stdout_console
from aiposture.config import Settings
from aiposture.errors import InputError
from aiposture.gateway.auth import build_tokens
from aiposture.gateway.config import GatewayConfig, TokenSettings
from aiposture.identity.principals import Principals
from aiposture.identity.revocation import Revocations
from aiposture.identity.scopes import ScopeError, narrow, parse_scope, scopes_of
from aiposture.identity.tokens import Tokens
from aiposture.store.database import Store

app = typer.Typer(help="Access tokens of the gateway: issue, revoke, signing keys.", no_args_is_help=True)
keys_app = typer.Typer(help="Token signing keys (Ed25519, JWKS).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Gateway config whose tokens/state_dir/database apply.")
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table or json.")]


@dataclass
class IdentityEnv:
    """The store, token settings and state folder a command acts on."""

    store: Store
    settings: TokenSettings
    state_dir: Path
    audit_key: Path

    @classmethod
    def open(cls, db: str | None, config: Path | None = None) -> IdentityEnv:
        base = Settings()
        if config is not None:
            gw = GatewayConfig.load(config)
            url = db or gw.database or f"sqlite:///{(Path(gw.state_dir) / 'aiposture.db').as_posix()}"
            key = gw.audit.key_file or default_key_path(Path(gw.state_dir))
            return cls(Store.open(url), gw.tokens, Path(gw.state_dir), key)
        return cls(Store.open(base.database_url(db)), TokenSettings(), base.state_dir,
                   default_key_path(base.state_dir))

    def tokens(self) -> Tokens:
        tokens = build_tokens(self.settings, self.state_dir, self.store)
        if tokens is None:
            raise InputError("tokens are disabled in this gateway config (tokens.enabled: false)")
        return tokens

    def revocations(self) -> Revocations:
        return Revocations(self.store)

    def audit(self, record: dict) -> None:
        """An audit event for what an operator did (direction "token"), when a trail exists."""
        trail = AuditTrail(self.store, self.audit_key, create_key=True)
        try:
            trail.append([{"direction": "token", "time": utc_now_text(), **record}])
        finally:
            trail.close()


@app.command("issue")
def issue(
    name: Annotated[str, typer.Argument(help="Principal the token is for.")],
    scope: Annotated[str | None, typer.Option(help="Space-separated model:/tool: scopes (default: all held).")] = None,
    ttl: Annotated[int | None, typer.Option("--ttl", help="Lifetime in seconds (default: tokens.ttl_s).")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Issue an access token for a principal (printed once on stdout)."""

    def body() -> None:
        env = IdentityEnv.open(db, config)
        principal = Principals(env.store).get(name)
        if principal is None:
            raise InputError(f"no principal {name!r}")
        if principal.status_reason():
            raise InputError(principal.status_reason())
        try:
            granted = narrow(scopes_of(principal.models, principal.tools), parse_scope(scope))
        except ScopeError as exc:
            raise InputError(str(exc)) from None
        token, claims = env.tokens().issue(name, scope=granted, ttl_s=ttl)
        env.audit({"principal": name, "verdict": {"action": "allow", "policy": "tokens", "reason": "cli"},
                   "data": {"event": "token_issued", "grant": "cli", "jti": claims.jti, "scope": granted,
                            "aud": claims.aud, "exp": claims.exp}})
        if fmt == "json":
            typer.echo(json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": claims.exp -
                                   claims.iat, "scope": " ".join(granted), "jti": claims.jti}))
        else:
            typer.echo(token)
            typer.echo(f"token {claims.jti} for {name!r}, expires in {claims.exp - claims.iat} s", err=True)

    run_command(body)


@app.command("revoke")
def revoke(
    jti: Annotated[str | None, typer.Option("--jti", help="Token id to revoke.")] = None,
    principal: Annotated[str | None, typer.Option("--principal", help="Revoke every token of it so far.")] = None,
    reason: Annotated[str, typer.Option(help="Why (kept with the revocation).")] = "",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Revoke one token or all of a principal's tokens; every gateway worker refuses them at once."""

    def body() -> None:
        if (jti is None) == (principal is None):
            raise InputError("give exactly one of --jti or --principal")
        if not (jti if jti is not None else principal or "").strip():
            raise InputError(f"--{'jti' if jti is not None else 'principal'} must not be empty")
        env = IdentityEnv.open(db, config)
        if principal is not None and Principals(env.store).get(principal) is None:
            # A typo would otherwise revoke nobody's tokens and report success.
            raise InputError(f"no principal {principal!r}")
        revocations = env.revocations()
        if jti is not None:
            revocations.revoke_token(jti, time.time() + env.settings.max_ttl_s, reason)
            what = {"jti": jti}
        else:
            revocations.revoke_principal(principal, env.settings.max_ttl_s, reason)
            what = {"revoked_principal": principal}
        env.audit({"principal": principal, "verdict": {"action": "block", "policy": "tokens", "reason": "revoked"},
                   "data": {"event": "token_revoked", "reason": reason[:300], **what}})
        typer.echo(f"revoked {'token ' + jti if jti is not None else 'every token of ' + repr(principal)}", err=True)

    run_command(body)


@app.command("revocations")
def revocations_(db: DbOption = None, config: ConfigOption = None, fmt: FormatOption = "table") -> None:
    """List the revocations still in force."""

    def body() -> None:
        rows = IdentityEnv.open(db, config).revocations().list()
        if fmt == "json":
            typer.echo(json.dumps(rows, indent=2))
            return
        from rich.table import Table

        table = Table("revoked", "at", "until", "reason")
        for r in rows:
            table.add_row(r["key"], time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r["revoked_at"])),
                          time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r["expires"])), r["reason"])
        stdout_console.print(table)

    run_command(body)


@keys_app.command("rotate")
def keys_rotate(db: DbOption = None, config: ConfigOption = None) -> None:
    """A new signing key signs from now on; old keys verify until their tokens expire."""

    def body() -> None:
        env = IdentityEnv.open(db, config)
        ring = env.tokens().keys
        new = ring.rotate(keep_retired_s=env.settings.max_ttl_s + env.settings.leeway_s)
        env.audit({"verdict": {"action": "allow", "policy": "tokens", "reason": "key_rotated"},
                   "data": {"event": "key_rotated", "kid": new.kid}})
        typer.echo(new.kid)
        typer.echo(f"new signing key {new.kid}; {len(ring.keys())} keys verify", err=True)

    run_command(body)


@keys_app.command("list")
def keys_list(db: DbOption = None, config: ConfigOption = None, fmt: FormatOption = "table") -> None:
    """Signing keys: id, created, active or retired (never the private key)."""

    def body() -> None:
        keys = IdentityEnv.open(db, config).tokens().keys.keys()
        if fmt == "json":
            typer.echo(json.dumps([k.info() for k in keys], indent=2))
            return
        from rich.table import Table

        table = Table("kid", "created", "status")
        for k in keys:
            table.add_row(k.kid, time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(k.created)), k.info()["status"])
        stdout_console.print(table)

    run_command(body)
