"""`aiposture models scan PATH`: static safety scan of model files (nothing is loaded)."""

from __future__ import annotations

import io
import json
import os
import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aiposture.commands.common import FailOnOption, OutputOption, emit, run_command, stderr_console
from aiposture.discover.models import ApprovedModels, ModelFileReport, ScanOptions, is_model_file, scan_file
from aiposture.discover.models.findings import report_to_findings
from aiposture.discover.models.pickle_scan import PickleLimits
from aiposture.errors import InputError
from aiposture.model import Severity
from aiposture.report.sarif import sarif_document

app = typer.Typer(
    help="Model files: static security scan (pickle, PyTorch, Keras, ONNX, GGUF, ...).", no_args_is_help=True
)

VERDICT_STYLE = {"safe": "green", "suspicious": "yellow", "unsafe": "bold white on red", "error": "magenta"}
_SIGNATURE_SUFFIXES = (".sig", ".sigstore", ".sigstore.json")


class ModelsFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"


def collect_files(path: Path) -> list[Path]:
    """PATH itself, or every model file under it (by name or by magic bytes)."""
    if not path.exists() and not path.is_symlink():
        raise InputError(f"no such file or directory: {path}")
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputError(f"not a file or directory: {path}")
    found: list[Path] = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in (".git", "__pycache__", "node_modules"))
        for name in sorted(files):
            candidate = Path(root) / name
            if name.endswith(_SIGNATURE_SUFFIXES) or candidate.is_symlink():
                continue
            if is_model_file(candidate):
                found.append(candidate)
    return found


def scan_all(
    files: list[Path], options: ScanOptions, approved: ApprovedModels | None
) -> list[ModelFileReport]:
    if len(files) < 2 or not sys.stderr.isatty():
        return [scan_file(f, options=options, approved=approved) for f in files]
    reports = []
    with Progress(
        TextColumn("[bold]scanning models"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=stderr_console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=len(files))
        for f in files:
            bar.update(task, description=f.name)
            reports.append(scan_file(f, options=options, approved=approved))
            bar.advance(task)
    return reports


def _display(report: ModelFileReport, root: Path) -> str:
    try:
        return Path(report.path).relative_to(root).as_posix() or Path(report.path).name
    except ValueError:
        return report.path


def render_json(reports: list[ModelFileReport]) -> str:
    files = [r.model_dump(mode="json", exclude={"error"} if r.error is None else set()) for r in reports]
    return json.dumps({"files": files}, indent=2)


def render_sarif(reports: list[ModelFileReport], root: Path) -> str:
    findings = [f for r in reports for f in report_to_findings(r, None, display_path=_display(r, root))]
    return json.dumps(sarif_document(findings, tool_name="aiposture-models"), indent=2)


def render_table(reports: list[ModelFileReport], root: Path, color: bool) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=160, highlight=False)
    table = Table(title=f"Model files: {len(reports)}", title_justify="left")
    for column in ("verdict", "file", "format", "size", "issues"):
        table.add_column(column, overflow="fold")
    for r in reports:
        shown = [i for i in r.issues if i.severity != Severity.INFO] or r.issues
        shown = sorted(shown, key=lambda i: -i.severity.rank)
        lines = [escape(f"{i.rule} [{i.severity.value}] {i.detail}") for i in shown[:3]]
        if len(shown) > 3:
            lines.append(f"… {len(shown) - 3} more")
        table.add_row(
            f"[{VERDICT_STYLE[r.verdict.value]}]{r.verdict.value}[/]",
            _display(r, root),
            r.format,
            _size(r.size),
            "\n".join(lines),
        )
    console.print(table)
    counts = Counter(r.verdict.value for r in reports)
    console.print(
        ", ".join(f"{counts[v]} {v}" for v in ("unsafe", "suspicious", "error", "safe") if counts[v])
        or "no model files found"
    )
    return buffer.getvalue()


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


def gate(reports: list[ModelFileReport], fail_on: Severity | None) -> bool:
    if any(r.verdict == "unsafe" for r in reports):
        return True
    if fail_on is None:
        return False
    return any(i.severity.at_least(fail_on) for r in reports for i in r.issues)


@app.command("scan")
def scan_command(
    path: Annotated[Path, typer.Argument(help="A model file or a folder of them.")],
    format: Annotated[
        ModelsFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ModelsFormat.table,
    output: OutputOption = None,
    fail_on: FailOnOption = None,
    require_signed: Annotated[
        bool, typer.Option("--require-signed", help="An unsigned model is a finding.")
    ] = False,
    approved: Annotated[
        Path | None,
        typer.Option(
            "--approved",
            help="Approved-model registry (YAML): a model file not listed by SHA-256 is a finding.",
        ),
    ] = None,
    signer_key: Annotated[
        Path | None,
        typer.Option(
            "--signer-key", help="Public key to verify model signatures with (needs aiposture[signing])."
        ),
    ] = None,
    signer_identity: Annotated[
        str | None, typer.Option(help="Sigstore identity expected to have signed.")
    ] = None,
    signer_issuer: Annotated[str | None, typer.Option(help="OIDC issuer of that identity.")] = None,
    max_pickle_ops: Annotated[
        int, typer.Option(help="Stop reading a pickle after this many opcodes.")
    ] = 100_000_000,
    no_hash: Annotated[
        bool, typer.Option("--no-hash", help="Skip SHA-256 (header-only formats read less).")
    ] = False,
) -> None:
    """Tell, without loading anything, whether each model file is safe to load. Exit 1
    when a file is unsafe (or has an issue at --fail-on or worse)."""

    def body() -> bool:
        registry = ApprovedModels.load(approved) if approved is not None else None
        if signer_key is not None and not signer_key.is_file():
            raise InputError(f"signer key not found: {signer_key}")
        options = ScanOptions(
            hash=not no_hash,
            require_signed=require_signed,
            signer_key=signer_key,
            signer_identity=signer_identity,
            signer_issuer=signer_issuer,
            pickle=PickleLimits(max_ops=max_pickle_ops),
        )
        root = path if path.is_dir() else path.parent
        reports = scan_all(collect_files(path), options, registry)
        if format == ModelsFormat.json:
            text = render_json(reports)
        elif format == ModelsFormat.sarif:
            text = render_sarif(reports, root)
        else:
            text = render_table(reports, root, color=output is None and sys.stdout.isatty())
        emit(text, output)
        return gate(reports, fail_on)

    if run_command(body):
        raise typer.Exit(1)
