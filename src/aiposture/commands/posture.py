"""`aiposture posture`: the latest stored posture (score, checks, frameworks, attack
paths) or, with `--history`, the score's trend."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from aiposture.commands.common import DbOption, OutputOption, emit, fail, run_command
from aiposture.config import Settings


class PostureFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"


def posture_command(
    format: Annotated[
        PostureFormat, typer.Option("--format", "-f", help="Output format.")
    ] = PostureFormat.table,
    output: OutputOption = None,
    db: DbOption = None,
    target: Annotated[
        Path | None, typer.Option(help="Assessed folder (default: the latest assessed).")
    ] = None,
    run: Annotated[str | None, typer.Option(help="A specific assess run id.")] = None,
    show_history: Annotated[bool, typer.Option("--history", help="Show the score trend over runs.")] = False,
    limit: Annotated[int, typer.Option(help="Runs in the history.")] = 30,
) -> None:
    """Show the posture of the latest `assess` run from the database."""

    def body() -> None:
        from aiposture.govern.history import history, latest_report
        from aiposture.govern.html_report import render_html
        from aiposture.govern.text_report import render_json, render_table
        from aiposture.store import Store

        store = Store.open(Settings().database_url(db))
        try:
            wanted = str(target.resolve()) if target else None
            report = latest_report(store, target=wanted, run_id=run)
            if report is None:
                raise fail("no stored posture: run `aiposture assess PATH` first")
            report.history = history(store, report.run.target, limit=limit)
            result = store.load_run(report.run.id)
        finally:
            store.close()
        if format is PostureFormat.json:
            text = render_json(report)
        elif format is PostureFormat.html:
            text = render_html(report, result)
        else:
            text = render_table(
                report, color=output is None and sys.stdout.isatty(), history_only=show_history
            )
        emit(text, output)

    run_command(body)


def register(app: typer.Typer) -> None:
    app.command("posture")(posture_command)
