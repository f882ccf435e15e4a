"""`aiposture discover PATH`: the AI asset inventory (AI-BOM) and its findings."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aiposture.commands.agent_identities import linker
from aiposture.commands.common import (
    DbOption,
    FailOnOption,
    OutputOption,
    emit,
    run_command,
    stderr_console,
)
from aiposture.config import Settings
from aiposture.discover.engine import DiscoverOptions, discover
from aiposture.model import ScanResult, Severity
from aiposture.report.cyclonedx import validate_bom
from aiposture.report.registry import get_writer
from aiposture.store import Store


class DiscoverFormat(StrEnum):
    table = "table"
    json = "json"
    cyclonedx = "cyclonedx"
    sarif = "sarif"


ExcludeOption = Annotated[
    list[str] | None, typer.Option("--exclude", "-x", help="Gitignore-style pattern to leave out (repeatable).")
]


def scan_with_progress(path: Path, options: DiscoverOptions, command: str = "discover") -> ScanResult:
    """Run discovery with a Rich progress bar on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        return discover(path, options, command=command)
    with Progress(TextColumn("[bold]scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=stderr_console, transient=True) as bar:
        task = bar.add_task("scan", total=None)
        return discover(path, options, progress=lambda done, seen: bar.update(task, completed=done, total=seen),
                        command=command)


def store_result(result: ScanResult, db: str | None) -> None:
    """Link agents to registered identities, persist the run and attach its diff against
    the previous run of the target."""
    store = Store.open(Settings().database_url(db))
    try:
        link = linker(store)
        if link is not None:
            link(result)
        result.run.diff = store.save_scan(result)
    finally:
        store.close()


def gate(result: ScanResult, fail_on: Severity | None) -> None:
    worst = result.worst_severity()
    if fail_on is not None and worst is not None and worst.at_least(fail_on):
        raise typer.Exit(1)


def discover_command(
    path: Annotated[Path, typer.Argument(help="Folder (or file) to scan.")],
    format: Annotated[DiscoverFormat, typer.Option("--format", "-f", help="Output format.")] = DiscoverFormat.table,
    output: OutputOption = None,
    db: DbOption = None,
    fail_on: FailOnOption = None,
    exclude: ExcludeOption = None,
    no_gitignore: Annotated[bool, typer.Option("--no-gitignore", help="Scan files .gitignore excludes.")] = False,
    max_file_size: Annotated[int, typer.Option(help="Skip text files larger than this many bytes.")] = 10 << 20,
    workers: Annotated[int, typer.Option(help="Worker processes (0: one per core).")] = 0,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not record the run in the database.")] = False,
    validate: Annotated[bool, typer.Option("--validate", help="Check a CycloneDX BOM against the strict 1.6 "
                                           "schema before writing it (slow to start).")] = False,
) -> None:
    """Inventory every AI asset under PATH: SDKs, models, model files, endpoints, cloud AI
    resources, vector stores, agents and MCP servers, with file and line as evidence."""

    def body() -> None:
        options = DiscoverOptions(excludes=exclude or [], honour_gitignore=not no_gitignore,
                                  max_file_size=max_file_size, workers=workers)
        result = scan_with_progress(path, options)
        if not no_store:
            store_result(result, db)
        color = output is None and format is DiscoverFormat.table and sys.stdout.isatty()
        writer = get_writer(format.value, color=color) if format is DiscoverFormat.table else get_writer(format.value)
        text = writer.render(result)
        if validate and format is DiscoverFormat.cyclonedx:
            validate_bom(text)
        emit(text, output)
        gate(result, fail_on)

    run_command(body)


def register(app: typer.Typer) -> None:
    app.command("discover")(discover_command)
