"""`aiposture audit verify|export|search|purge`: the tamper-evident audit trail."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from aiposture.audit.chain import format_time
from aiposture.audit.export import render
from aiposture.audit.query import EventFilter
from aiposture.audit.trail import AuditTrail, default_key_path
from aiposture.commands.common import DbOption, OutputOption, run_command
from aiposture.config import Settings
from aiposture.errors import InputError
from aiposture.store.database import Store
from aiposture.store.evidence import AUDIT_VERIFY, record_evidence

app = typer.Typer(help="Verify, export, search and purge the audit trail.", no_args_is_help=True)

KeyOption = Annotated[Path | None, typer.Option("--key", help="Ed25519 key file (default: state dir).")]
Principal = Annotated[str | None, typer.Option("--principal", help="Only this principal.")]
App = Annotated[str | None, typer.Option("--app", help="Only this app.")]
Model = Annotated[str | None, typer.Option("--model", help="Only this model.")]
Detector = Annotated[str | None, typer.Option("--detector", help="Only events naming this detector or type.")]
ACTIONS = ("allow", "redact", "block", "hold")  # hold: a tool call or elevation waiting for a person
Action = Annotated[str | None, typer.Option("--action", help="allow, redact, block or hold.")]
Since = Annotated[str | None, typer.Option("--since", help="From this time (ISO 8601, UTC).")]
Until = Annotated[str | None, typer.Option("--until", help="Before this time (ISO 8601, UTC).")]
Limit = Annotated[int | None, typer.Option("--limit", help="At most this many events.")]


def _trail(db: str | None, key: Path | None, create_key: bool = False) -> AuditTrail:
    settings = Settings()
    return AuditTrail(
        Store.open(settings.database_url(db)),
        key or default_key_path(settings.state_dir),
        create_key=create_key,
    )


def _time(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return format_time(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise InputError(f"not an ISO 8601 time: {value!r}") from None


def _filter(principal, app_name, model, detector, action, since, until, limit) -> EventFilter:
    if action is not None and action not in ACTIONS:
        raise InputError(f"--action {action!r}: one of {', '.join(ACTIONS)}")
    return EventFilter(
        principal=principal,
        app=app_name,
        model=model,
        detector=detector,
        action=action,
        since=_time(since),
        until=_time(until),
        limit=limit,
    )


def _write_lines(lines, output: Path | None) -> int:
    handle = output.open("w", encoding="utf-8") if output else sys.stdout
    count = 0
    try:
        for line in lines:
            handle.write(line + "\n")
            count += 1
    finally:
        if output:
            handle.close()
    return count


@app.command("verify")
def verify(
    db: DbOption = None,
    key: KeyOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Rehash the chain and check its signed seals; exit 1 if anything was tampered with."""

    def body() -> bool:
        trail = _trail(db, key)
        report = trail.verify()
        # posture reads this: "the audit chain was verified recently" (AIP-POSTURE-006)
        first = report.issues[0] if report.issues else None
        record_evidence(trail.db.store, AUDIT_VERIFY, "audit", report.ok,
                        {"events": report.events, "error": f"seq {first['seq']}: {first['kind']}" if first else ""})
        if fmt == "json":
            typer.echo(json.dumps(report.to_dict(), indent=2))
        else:
            state = "OK" if report.ok else "TAMPERED"
            typer.echo(
                f"{state}: {report.events} events (seq {report.first_seq}..{report.last_seq}, "
                f"anchor {report.anchor_seq}), {report.checkpoints} checkpoints, "
                f"{report.rate:,.0f} events/s"
            )
            for issue in report.issues:
                typer.echo(f"  seq {issue['seq']}: {issue['kind']}: {issue['detail']}")
        return report.ok

    if not run_command(body):
        raise typer.Exit(1)


@app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl, json, ocsf or cef.")] = "jsonl",
    output: OutputOption = None,
    db: DbOption = None,
    principal: Principal = None,
    app_name: App = None,
    model: Model = None,
    detector: Detector = None,
    action: Action = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = None,
) -> None:
    """Export events, one per line, for a SIEM."""

    def body() -> None:
        trail = _trail(db, None, create_key=True)
        flt = _filter(principal, app_name, model, detector, action, since, until, limit)
        count = _write_lines(render(trail.events(flt), fmt), output)
        if output:
            typer.echo(f"wrote {count} events to {output}", err=True)

    run_command(body)


@app.command("search")
def search(
    principal: Principal = None,
    app_name: App = None,
    model: Model = None,
    detector: Detector = None,
    action: Action = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 100,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json, jsonl, ocsf or cef.")] = "table",
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Find events by principal, app, model, detector and time (eDiscovery)."""

    def body() -> None:
        trail = _trail(db, None, create_key=True)
        events = trail.events(_filter(principal, app_name, model, detector, action, since, until, limit))
        if fmt == "json":
            text = json.dumps(list(events), indent=2, ensure_ascii=False)
            _write_lines([text], output)
        elif fmt == "table":
            lines = (
                f"{e['seq']:>8} {e['time']} {e.get('principal') or '-':<20} {e.get('app') or '-':<16} "
                f"{e.get('model') or '-':<20} {(e.get('verdict') or {}).get('action') or '-':<7} "
                f"{(e.get('data') or {}).get('status', '')}"
                for e in events
            )
            _write_lines(lines, output)
        else:
            _write_lines(render(events, fmt), output)

    run_command(body)


@app.command("purge")
def purge(
    older_than_days: Annotated[
        float, typer.Option("--older-than-days", help="Delete events older than N days.")
    ],
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Retention: delete old events; the rest still verifies from a signed anchor."""

    def body() -> None:
        result = _trail(db, key).purge(older_than_days)
        typer.echo(json.dumps(result))

    run_command(body)
