"""`aiposture elevation request|list|approve|deny`: just-in-time scopes for an agent,
approved by one of its sponsors (never the requester), ending by themselves."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from aiposture.commands.approvals import open_trail
from aiposture.commands.common import DbOption, run_command, stdout_console
from aiposture.identity.elevation import Elevation, Elevations

app = typer.Typer(help="Just-in-time elevation of an agent's scopes, approved by a sponsor.", no_args_is_help=True)

FormatOption = Annotated[str, typer.Option("--format", "-f", help="table or json.")]
AsOption = Annotated[str, typer.Option("--as", help="The sponsor deciding (recorded and audited).")]


def _elevations(db: str | None) -> Elevations:
    store, trail = open_trail(db)
    return Elevations(store, audit=lambda record: trail.append([record]))


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _echo(e: Elevation, fmt: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(e.model_dump(mode="json"), indent=2))
    else:
        until = f" until {_when(e.ends)} UTC" if e.status == "approved" else ""
        typer.echo(f"{e.id}: {e.status}{until} ({', '.join(e.scopes)} for {e.minutes} min)")


@app.command("request")
def request(
    principal: Annotated[str, typer.Argument(help="The agent (registered principal) to elevate.")],
    scope: Annotated[list[str], typer.Option("--scope", help="tool:<glob>, model:<glob> or preapproved:<glob>.")],
    minutes: Annotated[int, typer.Option("--minutes", help="How long the grant lasts once approved.")],
    justification: Annotated[str, typer.Option("--justification", help="Why (shown to the sponsor).")],
    requested_by: Annotated[str | None, typer.Option("--as", help="Who asks (default: the agent).")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Ask for wider scopes for N minutes."""
    run_command(lambda: _echo(_elevations(db).request(principal, scope, minutes, justification,
                                                      requested_by=requested_by), fmt))


@app.command("list")
def list_(
    principal: Annotated[str | None, typer.Option("--principal", help="Only this principal.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="pending, approved, denied, expired, ended.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 500,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """List elevation requests, newest first."""

    def body() -> None:
        rows = _elevations(db).list(principal, status, limit)
        if fmt == "json":
            typer.echo(json.dumps([e.model_dump(mode="json") for e in rows], indent=2))
            return
        from rich.table import Table

        table = Table("id", "status", "principal", "scopes", "minutes", "requested by", "decided by", "ends")
        for e in rows:
            table.add_row(e.id, e.status, e.principal, ", ".join(e.scopes), str(e.minutes), e.requested_by,
                          e.decided_by or "-", _when(e.ends))
        stdout_console.print(table)

    run_command(body)


@app.command("approve")
def approve(elevation_id: str, sponsor: AsOption, db: DbOption = None, fmt: FormatOption = "table") -> None:
    """Approve: the scopes are active from now for the requested minutes."""
    run_command(lambda: _echo(_elevations(db).approve(elevation_id, sponsor), fmt))


@app.command("deny")
def deny(elevation_id: str, sponsor: AsOption, note: Annotated[str, typer.Option("--note")] = "",
         db: DbOption = None, fmt: FormatOption = "table") -> None:
    """Deny an elevation request."""
    run_command(lambda: _echo(_elevations(db).deny(elevation_id, sponsor, note), fmt))
