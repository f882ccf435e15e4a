"""`aiposture guard scan`: guard a JSONL stream of texts, one Verdict per line out."""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from enum import StrEnum
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
import yaml

from aiposture.commands.common import OutputOption, emit, fail, run_command, stderr_console
from aiposture.detect.custom import hashed_values_entry
from aiposture.errors import InputError
from aiposture.guard import Guard
from aiposture.guard_stream import scan_lines

app = typer.Typer(help="Guard model calls: scan text for injection, secrets, personal data and more.",
                  no_args_is_help=True)


class DirectionChoice(StrEnum):
    prompt = "prompt"
    response = "response"
    document = "document"


class ScanFormat(StrEnum):
    jsonl = "jsonl"


class FailOnAction(StrEnum):
    block = "block"
    redact = "redact"


_GATE = {"block": {"block"}, "redact": {"block", "redact"}}


@app.command("scan")
def scan_command(
    input: Annotated[Path | None, typer.Option("--input", "-i", help="JSONL file (default: stdin).")] = None,
    direction: Annotated[DirectionChoice, typer.Option(
        "--direction", "-d",
        help="prompt, response, or document (retrieved text, tool results, mail, web pages).")
    ] = DirectionChoice.prompt,
    policy: Annotated[Path | None, typer.Option("--policy", "-p",
                                                help="Policy YAML (default: the shipped one).")] = None,
    format: Annotated[ScanFormat, typer.Option("--format", "-f", help="Output format.")] = ScanFormat.jsonl,
    output: OutputOption = None,
    workers: Annotated[int, typer.Option(min=0, help="Worker processes for large inputs (0: one per core).")] = 0,
    fail_on: Annotated[FailOnAction | None, typer.Option(
        "--fail-on", help="Exit 1 when any verdict is this action (or stronger).")] = None,
) -> None:
    """Read `{"id", "text"}` per line (an optional "direction" overrides the flag); write
    `{"id", ...Verdict}` per line in input order. Bad lines are reported by line number on
    stderr and as `{"id", "line", "error"}` in the output; the rest is processed (exit 2)."""
    bad, gated = run_command(lambda: _scan(input, direction.value, policy, output, workers, fail_on))
    if bad:
        raise fail(f"{bad} input line(s) could not be read (see above)", 2)
    if gated:
        raise typer.Exit(1)


def _scan(input: Path | None, direction: str, policy: Path | None, output: Path | None,
          workers: int, fail_on: FailOnAction | None) -> tuple[int, bool]:
    guard = Guard(policy)
    for message in sorted(guard.unavailable.values()):
        stderr_console.print(f"[yellow]warning:[/] {message} (not run)", highlight=False, soft_wrap=True)
    gate = _GATE[fail_on.value] if fail_on else set()
    bad = 0
    gated = False
    with ExitStack() as stack:
        source: BinaryIO = stack.enter_context(_open_in(input)) if input else sys.stdin.buffer
        sink = stack.enter_context(_open_out(output)) if output else sys.stdout
        for outcome in scan_lines(source, guard, direction, policy, workers):  # type: ignore[arg-type]
            sink.write(outcome.json + "\n")
            if outcome.error:
                bad += 1
                sys.stderr.write(f"error: {outcome.error}\n")
            gated = gated or outcome.action in gate
        sink.flush()
    return bad, gated


@app.command("hash-values")
def hash_values_command(
    id: Annotated[str, typer.Option("--id", help="Rule id, e.g. CUSTOM-CODENAMES.")],
    type: Annotated[str, typer.Option("--type", help="Detection type, e.g. PROJECT_CODENAME.")],
    salt_env: Annotated[str | None, typer.Option(
        "--salt-env", help="Read the salt from this environment variable (named in the entry).")] = None,
    input: Annotated[Path | None, typer.Option("--input", "-i", help="Values, one per line (default: stdin).")
                     ] = None,
    output: OutputOption = None,
) -> None:
    """Turn sensitive values (one per line) into a `values:` entry for a custom-types file:
    only salted SHA-256 hashes of the normalised values are written."""
    def body() -> None:
        raw = input.read_text(encoding="utf-8") if input else sys.stdin.read()
        values = [v.strip() for v in raw.splitlines() if v.strip()]
        if not values:
            raise InputError("no values given (one per line)")
        salt = ""
        if salt_env:
            if salt_env not in os.environ:
                raise InputError(f"environment variable {salt_env} is not set")
            salt = os.environ[salt_env]
        entry = hashed_values_entry(values, id=id, type=type, salt=salt)
        if salt_env:
            entry.pop("salt")
            entry["salt_env"] = salt_env
        emit(yaml.safe_dump({"values": [entry]}, sort_keys=False), output)

    run_command(body)


def _open_in(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _open_out(path: Path):  # noqa: ANN202
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
