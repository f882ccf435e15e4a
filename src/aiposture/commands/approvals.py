"""`aiposture approvals list|show|approve|deny`: the human-in-the-loop queue of
high-risk tool calls. Deciding an expired or already-decided request is refused with
the reason (exit 2); every decision is an audit event and notifies the webhooks."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from aiposture.audit.trail import AuditTrail, default_key_path
from aiposture.commands.common import DbOption, run_command, stdout_console
from aiposture.config import Settings
from aiposture.errors import InputError
from aiposture.identity.approvals import Approval, Approvals
from aiposture.identity.notify import WebhookNotifier
from aiposture.store.database import Store

app = typer.Typer(help="Approve or deny high-risk tool calls waiting for a human.", no_args_is_help=True)

FormatOption = Annotated[str, typer.Option("--format", "-f", help="table or json.")]
AsOption = Annotated[str, typer.Option("--as", help="Who decides (your name, recorded and audited).")]
NoteOption = Annotated[str, typer.Option("--note", help="Why (recorded with the decision).")]
WebhookOption = Annotated[
    str | None, typer.Option("--webhook", help="Also notify this URL.", envvar="AIPOSTURE_APPROVALS_WEBHOOK")
]
SecretOption = Annotated[
    str | None,
    typer.Option("--webhook-secret", help="HMAC-SHA256 key for the signature header.",
                 envvar="AIPOSTURE_APPROVALS_WEBHOOK_SECRET"),
]


def open_trail(db: str | None) -> tuple[Store, AuditTrail]:
    settings = Settings()
    store = Store.open(settings.database_url(db))
    return store, AuditTrail(store, default_key_path(settings.state_dir), create_key=True)


def _approvals(db: str | None, webhook: str | None = None, secret: str | None = None) -> Approvals:
    store, trail = open_trail(db)
    notifier = WebhookNotifier(webhook, secret) if webhook or secret else None
    return Approvals(store, notifier, audit=lambda record: trail.append([record]))


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _print(approval: Approval, fmt: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(approval.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    rows = [("id", approval.id), ("status", approval.status), ("principal", approval.principal),
            ("end user", approval.end_user or "-"), ("tool", approval.tool), ("risk", approval.risk or "-"),
            ("reason", approval.reason), ("created", _when(approval.created)),
            ("expires", _when(approval.expires)), ("decided by", approval.decided_by or "-"),
            ("decided at", _when(approval.decided_at)), ("note", approval.note or "-"),
            ("arguments", json.dumps(approval.arguments, ensure_ascii=False, indent=2))]
    for key, value in rows:
        typer.echo(f"{key:>10}: {value}")


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option("--status", help="pending, approved, denied, expired, used.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 500,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """List approval requests, newest first."""

    def body() -> None:
        rows = _approvals(db).list(status, limit)
        if fmt == "json":
            typer.echo(json.dumps([a.model_dump(mode="json") for a in rows], indent=2, ensure_ascii=False))
            return
        from rich.table import Table

        table = Table("id", "status", "principal", "tool", "risk", "created", "expires", "decided by")
        for a in rows:
            table.add_row(a.id, a.status, a.principal, a.tool, a.risk or "-", _when(a.created), _when(a.expires),
                          a.decided_by or "-")
        stdout_console.print(table)

    run_command(body)


@app.command("show")
def show(approval_id: str, db: DbOption = None, fmt: FormatOption = "table") -> None:
    """Show one request with its (masked) arguments."""

    def body() -> None:
        approval = _approvals(db).get(approval_id)
        if approval is None:
            raise InputError(f"no approval {approval_id!r}")
        _print(approval, fmt)

    run_command(body)


def _decide(approval_id: str, approver: str, approve: bool, note: str, db, webhook, secret, fmt) -> None:
    def body() -> None:
        approval = _approvals(db, webhook, secret).decide(approval_id, approver, approve, note)
        if fmt == "json":
            _print(approval, fmt)
        else:
            typer.echo(f"{approval.id}: {approval.status} by {approval.decided_by}")

    run_command(body)


@app.command("approve")
def approve(approval_id: str, approver: AsOption, note: NoteOption = "", db: DbOption = None,
            webhook: WebhookOption = None, secret: SecretOption = None, fmt: FormatOption = "table") -> None:
    """Approve a pending request (the agent may then make that exact call once)."""
    _decide(approval_id, approver, True, note, db, webhook, secret, fmt)


@app.command("deny")
def deny(approval_id: str, approver: AsOption, note: NoteOption = "", db: DbOption = None,
         webhook: WebhookOption = None, secret: SecretOption = None, fmt: FormatOption = "table") -> None:
    """Deny a pending request."""
    _decide(approval_id, approver, False, note, db, webhook, secret, fmt)
