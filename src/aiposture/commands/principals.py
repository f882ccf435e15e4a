"""`aiposture principals add|list|show|disable|enable|rotate|attest`: the identities that
may call the gateway, who answers for them, and what they may use."""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from aiposture.audit.query import EventFilter
from aiposture.audit.trail import AuditTrail
from aiposture.commands.common import DbOption, run_command, stdout_console
from aiposture.commands.tokens import ConfigOption, IdentityEnv
from aiposture.errors import AIPostureError, InputError
from aiposture.identity.blueprints import load_blueprint
from aiposture.identity.principals import Principal, Principals

app = typer.Typer(help="Principals (apps, users, agents): governed identities and their API keys.",
                  no_args_is_help=True)

FormatOption = Annotated[str, typer.Option("--format", "-f", help="table or json.")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who does this (kept in the history).")]


def _principals(db: str | None, config=None) -> tuple[IdentityEnv, Principals]:
    env = IdentityEnv.open(db, config)
    return env, Principals(env.store)


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--expires {value!r} is not a date (YYYY-MM-DD or ISO 8601)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _attributes(pairs: list[str]) -> dict:
    out: dict[str, str | int | bool] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InputError(f"--attr {pair!r} must be KEY=VALUE")
        low = value.lower()
        out[key] = True if low == "true" else False if low == "false" else int(value) if value.isdigit() else value
    return out


def _public(p: Principal) -> dict:
    return {**p.model_dump(mode="json"), "status": p.status, "status_reason": p.status_reason(),
            "attestation_due": p.attestation_due.isoformat() if p.attestation_due else None}


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Principal name, e.g. support-bot.")],
    kind: Annotated[str | None, typer.Option("--kind", help="app, user or agent (default: blueprint's, else app).")]
    = None,
    app_name: Annotated[str | None, typer.Option("--app", help="App whose policy applies (default: name).")] = None,
    description: Annotated[str, typer.Option(help="Free text.")] = "",
    owner: Annotated[str | None, typer.Option(help="The person accountable for this identity.")] = None,
    sponsor: Annotated[list[str] | None, typer.Option("--sponsor", help="A sponsor (repeatable).")] = None,
    blueprint: Annotated[str | None, typer.Option(help="Blueprint name or YAML file giving the defaults.")] = None,
    tool: Annotated[list[str] | None, typer.Option("--tool", help="Tool glob it may call (repeatable).")] = None,
    model: Annotated[list[str] | None, typer.Option("--model", help="Model glob it may use (repeatable).")] = None,
    attr: Annotated[list[str] | None, typer.Option("--attr", help="Attribute KEY=VALUE (repeatable).")] = None,
    expires: Annotated[str | None, typer.Option(help="Expiry date (YYYY-MM-DD or ISO 8601, UTC).")] = None,
    attest_every: Annotated[int | None, typer.Option("--attest-every", help="Re-attest every N days.")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Create a principal and print its API key (shown only this once)."""

    def body() -> None:
        bp = load_blueprint(blueprint) if blueprint else None
        _, principals = _principals(db)
        principal, key = principals.add(
            name, kind, app=app_name, description=description, owner=owner, sponsors=sponsor or [],
            blueprint=bp, tools=tool or None, models=model or None, attributes=_attributes(attr or []),
            expires=_date(expires), attest_every_days=attest_every,
        )
        if fmt == "json":
            typer.echo(json.dumps({**_public(principal), "key": key}))
        else:
            typer.echo(key)
            typer.echo(f"created {principal.kind} {principal.name!r}; the key above is shown only once", err=True)

    run_command(body)


@app.command("list")
def list_(db: DbOption = None, fmt: FormatOption = "table") -> None:
    """List principals with their status (never their keys)."""

    def body() -> None:
        rows = _principals(db)[1].list()
        if fmt == "json":
            typer.echo(json.dumps([_public(p) for p in rows], indent=2))
            return
        from rich.table import Table

        table = Table("name", "kind", "status", "owner", "blueprint", "models", "tools", "expires", "key id")
        for p in rows:
            table.add_row(p.name, p.kind, p.status, p.owner or "-", p.blueprint or "-", ", ".join(p.models) or "-",
                          ", ".join(p.tools) or "-", p.expires.strftime("%Y-%m-%d") if p.expires else "-", p.key_id)
        stdout_console.print(table)

    run_command(body)


def _audit_activity(env: IdentityEnv, name: str, days: int, limit: int) -> tuple[list[dict], str | None]:
    """The principal's recent audit events (newest last), or a note why there are none."""
    since = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    try:
        trail = AuditTrail(env.store, env.audit_key, create_key=False)
    except (AIPostureError, OSError) as exc:
        return [], f"no audit trail ({exc})"
    keep: deque = deque(maxlen=limit)
    for event in trail.events(EventFilter(principal=name, since=since)):
        verdict = event.get("verdict") or {}
        data = event.get("data") or {}
        keep.append({"time": event["time"], "direction": event.get("direction"), "model": event.get("model"),
                     "end_user": event.get("end_user"), "action": verdict.get("action"),
                     "reason": verdict.get("reason") or data.get("error"),
                     "event": data.get("event") or data.get("route"), "status": data.get("status")})
    return list(keep), None


@app.command("show")
def show(
    name: str,
    days: Annotated[int, typer.Option(help="Audit activity of the last N days.")] = 30,
    limit: Annotated[int, typer.Option(help="At most this many audit events.")] = 20,
    db: DbOption = None,
    config: ConfigOption = None,
    fmt: FormatOption = "table",
) -> None:
    """An identity: who answers for it, what it may use, its status and its recent activity."""

    def body() -> None:
        env, principals = _principals(db, config)
        p = principals.get(name)
        if p is None:
            raise InputError(f"no principal {name!r}")
        lifecycle = [e.model_dump(mode="json") for e in principals.history(name)]
        activity, note = _audit_activity(env, name, days, limit)
        if fmt == "json":
            typer.echo(json.dumps({"principal": _public(p), "lifecycle": lifecycle, "activity": activity,
                                   "activity_note": note}, indent=2))
            return
        _print_show(p, lifecycle, activity, note)

    run_command(body)


def _print_show(p: Principal, lifecycle: list[dict], activity: list[dict], note: str | None) -> None:
    from rich.table import Table

    info = Table.grid(padding=(0, 2))
    rows = [("name", p.name), ("kind", p.kind), ("status", p.status + (f" — {p.status_reason()}" if
            p.status_reason() else "")), ("owner", p.owner or "-"), ("sponsors", ", ".join(p.sponsors) or "-"),
            ("blueprint", p.blueprint or "-"), ("models", ", ".join(p.models) or "-"),
            ("tools", ", ".join(p.tools) or "-"),
            ("attributes", ", ".join(f"{k}={v}" for k, v in p.attributes.items()) or "-"),
            ("expires", p.expires.isoformat() if p.expires else "-"),
            ("attestation", f"every {p.attest_every_days} days, due {p.attestation_due:%Y-%m-%d}"
             if p.attestation_due else "-"),
            ("key id", p.key_id), ("created", p.created.isoformat())]
    for key, value in rows:
        info.add_row(key, value)
    stdout_console.print(info)
    events = Table("time", "lifecycle event", "by", "detail", title="lifecycle")
    for e in lifecycle:
        events.add_row(e["time"][:19], e["event"], e["actor"] or "-", json.dumps(e["detail"]) if e["detail"] else "")
    stdout_console.print(events)
    recent = Table("time", "direction", "model", "end user", "action", "reason", title="recent activity")
    for a in activity:
        recent.add_row((a["time"] or "")[:19], a["direction"] or "-", a["model"] or "-", a["end_user"] or "-",
                       a["action"] or "-", str(a["reason"] or a["event"] or ""))
    stdout_console.print(recent)
    if note:
        typer.echo(note, err=True)


@app.command("disable")
def disable(
    name: str, reason: Annotated[str, typer.Option(help="Why.")] = "", by: ByOption = None, db: DbOption = None
) -> None:
    """Disable a principal: its key is refused within seconds, its tokens at once."""

    def body() -> None:
        env, principals = _principals(db)
        p = principals.set_enabled(name, False, actor=by, reason=reason)
        env.revocations().revoke_principal(name, env.settings.max_ttl_s, reason or "principal disabled")
        typer.echo(f"{p.name}: disabled; its tokens are revoked", err=True)

    run_command(body)


@app.command("enable")
def enable(name: str, by: ByOption = None, db: DbOption = None) -> None:
    """Enable a disabled principal again (tokens revoked meanwhile stay revoked)."""

    def body() -> None:
        p = _principals(db)[1].set_enabled(name, True, actor=by)
        typer.echo(f"{p.name}: enabled", err=True)

    run_command(body)


@app.command("rotate")
def rotate(name: str, by: ByOption = None, db: DbOption = None) -> None:
    """Issue a new key for a principal; the old key and every token issued so far stop working."""

    def body() -> None:
        env, principals = _principals(db)
        key = principals.rotate(name, actor=by)
        env.revocations().revoke_principal(name, env.settings.max_ttl_s, "key rotated")
        typer.echo(key)

    run_command(body)


@app.command("attest")
def attest(
    name: str,
    by: Annotated[str, typer.Option("--by", help="The owner or a sponsor attesting.")],
    note: Annotated[str, typer.Option(help="Why it is still needed.")] = "",
    db: DbOption = None,
) -> None:
    """Re-attest an identity (its owner or a sponsor): it is still needed, with these rights."""

    def body() -> None:
        p = _principals(db)[1].attest(name, by=by, note=note)
        due = f"; next due {p.attestation_due:%Y-%m-%d}" if p.attestation_due else ""
        typer.echo(f"{p.name}: attested by {by}{due}", err=True)

    run_command(body)
