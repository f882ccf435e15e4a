"""`aiposture principals add|list|disable|enable|rotate`: who may call the gateway."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from aiposture.commands.common import DbOption, run_command, stdout_console
from aiposture.config import Settings
from aiposture.identity.principals import Principals
from aiposture.store.database import Store

app = typer.Typer(help="Principals (apps, users, agents) and their API keys.", no_args_is_help=True)

FormatOption = Annotated[str, typer.Option("--format", "-f", help="table or json.")]


def _principals(db: str | None) -> Principals:
    return Principals(Store.open(Settings().database_url(db)))


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Principal name, e.g. support-bot.")],
    kind: Annotated[str, typer.Option("--kind", help="app, user or agent.")] = "app",
    app_name: Annotated[
        str | None, typer.Option("--app", help="App whose policy applies (default: name).")
    ] = None,
    description: Annotated[str, typer.Option(help="Free text.")] = "",
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Create a principal and print its API key (shown only this once)."""

    def body() -> None:
        principal, key = _principals(db).add(name, kind, app=app_name, description=description)
        if fmt == "json":
            typer.echo(json.dumps({**principal.model_dump(mode="json"), "key": key}))
        else:
            typer.echo(key)
            typer.echo(
                f"created {principal.kind} {principal.name!r}; the key above is shown only once", err=True
            )

    run_command(body)


@app.command("list")
def list_(db: DbOption = None, fmt: FormatOption = "table") -> None:
    """List principals (never their keys)."""

    def body() -> None:
        rows = _principals(db).list()
        if fmt == "json":
            typer.echo(json.dumps([p.model_dump(mode="json") for p in rows], indent=2))
            return
        from rich.table import Table

        table = Table("name", "kind", "app", "enabled", "key id", "created")
        for p in rows:
            table.add_row(
                p.name,
                p.kind,
                p.app_name,
                "yes" if p.enabled else "no",
                p.key_id,
                p.created.strftime("%Y-%m-%d %H:%M"),
            )
        stdout_console.print(table)

    run_command(body)


def _toggle(name: str, enabled: bool, db: str | None) -> None:
    p = _principals(db).set_enabled(name, enabled)
    typer.echo(f"{p.name}: {'enabled' if p.enabled else 'disabled'}", err=True)


@app.command("disable")
def disable(name: str, db: DbOption = None) -> None:
    """Disable a principal: its key is refused (401) within seconds."""
    run_command(lambda: _toggle(name, False, db))


@app.command("enable")
def enable(name: str, db: DbOption = None) -> None:
    """Enable a disabled principal again."""
    run_command(lambda: _toggle(name, True, db))


@app.command("rotate")
def rotate(name: str, db: DbOption = None) -> None:
    """Issue a new key for a principal; the old key stops working."""
    run_command(lambda: typer.echo(_principals(db).rotate(name)))
