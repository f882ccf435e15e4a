"""What every command shares: the `--db`/`--format`/`-o`/`--fail-on` options, the
console, and the translation of library exceptions into DESIGN.md's exit codes
(0 ok, 1 gate tripped, 2 bad usage or input) with one line on stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from aiposture.errors import AIPostureError, InputError
from aiposture.model import Severity

T = TypeVar("T")

stdout_console = Console(soft_wrap=False)
stderr_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: sqlite under ./.aiposture/). Env: AIPOSTURE_DB."),
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report to FILE instead of stdout.")
]
FailOnOption = Annotated[
    Severity | None,
    typer.Option("--fail-on", help="Exit 1 when a finding of this severity or worse exists."),
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clean line on stderr and return the Exit to raise."""
    stderr_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def run_command(body: Callable[[], T]) -> T:
    """Run a command body; library errors become a one-line message and exit 2."""
    try:
        return body()
    except typer.Exit:
        raise
    except (AIPostureError, OSError, ValueError) as exc:
        raise fail(str(exc) or exc.__class__.__name__) from None
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None
    except Exception as exc:  # noqa: BLE001 - a person gets one line, a developer the traceback
        if os.environ.get("AIPOSTURE_DEBUG"):
            raise
        raise fail(f"internal error: {exc.__class__.__name__}: {exc} (AIPOSTURE_DEBUG=1 shows more)") from None


def emit(text: str, output: Path | None, announce: bool = True) -> None:
    """Write a rendered report to -o FILE or stdout. `announce=False` leaves the "wrote FILE"
    line to the caller, which names the file itself (assess says "report: FILE" after its
    summary) so that a person reads the path once."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror or exc}") from exc
    if announce:
        stderr_console.print(f"wrote {output}", highlight=False, soft_wrap=True)  # a path must stay one line to copy
