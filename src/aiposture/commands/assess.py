"""`aiposture assess PATH`: discover, model scanning and posture in one go, stored,
with a report (HTML by default, written under .aiposture/reports/).

The engine (discover, govern, networkx, Jinja2) is imported when the command runs,
not when the CLI assembles itself, so other commands do not pay for it."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aiposture.commands.common import DbOption, FailOnOption, OutputOption, emit, run_command, stderr_console
from aiposture.config import Settings
from aiposture.model import Severity

if TYPE_CHECKING:
    from aiposture.govern.assess import AssessOptions
    from aiposture.govern.posture import PostureReport
    from aiposture.model import ScanResult
    from aiposture.store import Store


class AssessFormat(StrEnum):
    html = "html"
    json = "json"
    sarif = "sarif"
    table = "table"


PathOption = Annotated[
    Path | None, typer.Option(exists=True, dir_okay=False, help="Gateway config / policy / registry file.")
]


def render(fmt: AssessFormat, report: PostureReport, result: ScanResult, color: bool = False) -> str:
    from aiposture.govern.html_report import render_html
    from aiposture.govern.text_report import render_json, render_table
    from aiposture.report.registry import get_writer

    if fmt is AssessFormat.html:
        return render_html(report, result)
    if fmt is AssessFormat.json:
        return render_json(report, result)
    if fmt is AssessFormat.sarif:
        return get_writer("sarif").render(result)
    return render_table(report, color=color)


def _assess(
    path: Path, store: Store | None, options: AssessOptions
) -> tuple[ScanResult, PostureReport, list[str]]:
    from aiposture.govern.assess import run_assessment

    if not sys.stderr.isatty():
        return run_assessment(path, store, options)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=stderr_console, transient=True) as bar:
        task = bar.add_task("scanning", total=None)
        return run_assessment(
            path,
            store,
            options,
            progress=lambda done, seen: bar.update(task, completed=done, total=seen),
            phase=lambda name: bar.update(task, description=name),
        )


def gate(result: ScanResult, fail_on: Severity | None) -> None:
    worst = result.worst_severity()
    if fail_on is not None and worst is not None and worst.at_least(fail_on):
        raise typer.Exit(1)


def assess_command(
    path: Annotated[Path, typer.Argument(help="Folder to assess.")],
    format: Annotated[
        AssessFormat | None,
        typer.Option(
            "--format", "-f", help="Report format (default: html under .aiposture/reports/ plus a summary)."
        ),
    ] = None,
    output: OutputOption = None,
    db: DbOption = None,
    fail_on: FailOnOption = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", "-x", help="Pattern to leave out.")
    ] = None,
    gateway_config: PathOption = None,
    policy: PathOption = None,
    approved_models: PathOption = None,
    workers: Annotated[int, typer.Option(help="Worker processes (0: one per core).")] = 0,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not record the run.")] = False,
) -> None:
    """Assess the AI security posture of PATH: inventory, findings, posture score,
    framework coverage, attack paths and what to fix first."""

    def body() -> None:
        from aiposture.commands.agent_identities import linker
        from aiposture.commands.identity_posture import identity_evidence
        from aiposture.discover.engine import DiscoverOptions
        from aiposture.govern.assess import AssessOptions
        from aiposture.govern.text_report import render_table
        from aiposture.store import Store

        settings = Settings()
        options = AssessOptions(
            discover=DiscoverOptions(excludes=exclude or [], workers=workers),
            gateway_config=gateway_config,
            policy=policy,
            registry=approved_models,
        )
        store = None if no_store else Store.open(settings.database_url(db))
        options.after_discover = linker(store)
        options.add_evidence = identity_evidence(store)
        try:
            result, report, notes = _assess(path, store, options)
        finally:
            if store is not None:
                store.close()
        for note in notes:
            stderr_console.print(f"note: {note}", highlight=False)
        fmt = format or AssessFormat.html
        target = output
        if fmt is AssessFormat.html and output is None:
            target = settings.state_dir / "reports" / f"assess-{result.run.id}.html"
        color = target is None and fmt is AssessFormat.table and sys.stdout.isatty()
        emit(render(fmt, report, result, color=color), target, announce=format is not None)
        if format is None:
            sys.stdout.write(render_table(report, color=sys.stdout.isatty()))
            stderr_console.print(f"report: {target}", highlight=False, soft_wrap=True)
        gate(result, fail_on)

    run_command(body)


def register(app: typer.Typer) -> None:
    app.command("assess")(assess_command)


def run_demo_assessment(estate: Path, db: str | None) -> None:
    """What `aiposture demo` runs after writing the sample estate: the default assess."""
    assess_command(
        estate,
        format=None,
        output=None,
        db=db,
        fail_on=None,
        exclude=None,
        gateway_config=None,
        policy=None,
        approved_models=None,
        workers=0,
        no_store=False,
    )
