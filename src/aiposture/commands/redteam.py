"""`aiposture redteam`: attack an AI endpoint and gate CI on the attack success rate.
A thin shell over aiposture.redteam.campaign; exit 1 when --fail-on-asr trips."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aiposture.commands.common import DbOption, OutputOption, emit, fail, run_command, stderr_console
from aiposture.config import Settings
from aiposture.errors import InputError
from aiposture.redteam.campaign import new_run_id, planned_count, resume_config, run_campaign, run_sync
from aiposture.redteam.plan import RunConfig
from aiposture.redteam.report.base import WRITERS, render
from aiposture.redteam.report.summary import check_gate, parse_thresholds
from aiposture.redteam.store import RedteamStore
from aiposture.store.database import Store
from aiposture.store.evidence import REDTEAM_RUN, record_evidence

app = typer.Typer(
    help="Red-team AI endpoints: probes, converters, strategies, scorers; gate CI.", no_args_is_help=True
)

FORMATS = ("table", "json", "html", "sarif", "junit")


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


TargetOpt = Annotated[
    str | None,
    typer.Option("--target", "-t", help="Target YAML, OpenAI-compatible base URL, or module:function."),
]
ProbesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--probes", "-p", help="Probe ids, families or categories (comma list); 'all'; default if omitted."
    ),
]
ConvertersOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--converters", "-c", help="Converter chains, e.g. base64,rot13+zerowidth (plain always runs)."
    ),
]
StrategyOpt = Annotated[
    list[str] | None, typer.Option("--strategy", "-s", help="single, retry, crescendo (comma list).")
]
BudgetOpt = Annotated[int | None, typer.Option(min=1, help="Most requests to send (planned up front).")]
TurnsOpt = Annotated[
    int, typer.Option("--max-turns", min=1, max=50, help="Turn budget of multi-turn strategies.")
]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, json, html, sarif, junit.")]
GateOpt = Annotated[
    list[str] | None,
    typer.Option("--fail-on-asr", help="Exit 1 above this attack success rate: 0.1 or jailbreak=0.2."),
]
ResumeOpt = Annotated[str | None, typer.Option("--resume", help="Resume RUN_ID, skipping finished attempts.")]


DEFAULT_PASS_RATE = 0.05


@app.command("run")
def run(
    target: TargetOpt = None,
    probes: ProbesOpt = None,
    converters: ConvertersOpt = None,
    strategy: StrategyOpt = None,
    concurrency: Annotated[int, typer.Option(min=1, max=1024)] = 32,
    seed: Annotated[int, typer.Option(help="Seed for generators, converters and backoff jitter.")] = 0,
    budget: BudgetOpt = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds per request.")] = 30.0,
    retries: Annotated[int, typer.Option(min=0, max=10)] = 2,
    max_turns: TurnsOpt = 6,
    judge: Annotated[str | None, typer.Option(help="Target (URL/YAML) used as an LLM judge.")] = None,
    fmt: FormatOpt = "table",
    output: OutputOption = None,
    fail_on_asr: GateOpt = None,
    resume: ResumeOpt = None,
    app_name: Annotated[str | None, typer.Option(
        "--app", help="The app under test as posture names it (e.g. apps/support-copilot): the run is its evidence."
    )] = None,
    db: DbOption = None,
) -> None:
    """Attack a target with the selected probes and report per weakness."""

    def body() -> None:
        if fmt not in FORMATS:
            raise InputError(f"--format must be one of {', '.join(FORMATS)}")
        thresholds = parse_thresholds(fail_on_asr or [])
        store = RedteamStore(Store.open(Settings().database_url(db)))
        if resume:
            config, run_id = resume_config(store, resume), resume
        elif target:
            config = RunConfig(
                target=target,
                probes=_split(probes) or ["default"],
                converters=_split(converters),
                strategies=_split(strategy) or ["single"],
                concurrency=concurrency,
                seed=seed,
                budget=budget,
                timeout=timeout,
                retries=retries,
                max_turns=max_turns,
                judge=judge,
                app=app_name,
            )
            run_id = new_run_id()
        else:
            raise InputError("give --target (or --resume RUN_ID)")
        stderr_console.print(f"red team run {run_id} (resume with --resume {run_id})", highlight=False)
        report = _execute(config, store, run_id, bool(resume), show_progress=fmt == "table")
        failures = check_gate(report, thresholds)
        _record_posture_evidence(store.store, config, report.asr, failures, bool(thresholds))
        emit(render(report, fmt), output)
        for line in failures:
            stderr_console.print(f"[bold red]gate:[/] {line}", highlight=False)
        if failures:
            raise typer.Exit(1)

    run_command(body)


def _record_posture_evidence(store: Store, config: RunConfig, asr: float, failures: list[str], gated: bool) -> None:
    """Tell posture that this app (or target) was red-teamed: it passed when its gate
    held, or, with no gate given, when at most 5% of attacks got through."""
    passed = not failures if gated else asr <= DEFAULT_PASS_RATE
    record_evidence(store, REDTEAM_RUN, config.app or config.target, passed,
                    {"app": config.app, "target": config.target, "success_rate": round(asr, 4)})


def _execute(config: RunConfig, store: RedteamStore, run_id: str, resume: bool, show_progress: bool):
    total = planned_count(config) - (len(store.completed(run_id)) if resume else 0)
    progress = Progress(
        TextColumn("[bold]red team"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[hits]} got through"),
        TimeElapsedColumn(),
        console=stderr_console,
        disable=not (show_progress and stderr_console.is_terminal),
        transient=True,
    )
    task = progress.add_task("run", total=total, hits=0)
    hits = 0

    def tick(result) -> None:
        nonlocal hits
        hits += int(result.success)
        progress.update(task, advance=1, hits=hits)

    with progress:
        return run_sync(run_campaign(config, store=store, run_id=run_id, resume=resume, on_result=tick))


@app.command("list")
def list_plugins(
    kind: Annotated[
        str, typer.Argument(help="probes, converters, scorers, strategies, targets, reports")
    ] = "probes",
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
) -> None:
    """List registered probes or plugins with their descriptions and mappings."""

    def body() -> None:
        rows = _rows(kind)
        if fmt == "json":
            emit(json.dumps(rows, indent=2, ensure_ascii=False), None)
            return
        if fmt != "table":
            raise InputError("--format must be table or json")
        from rich.table import Table

        table = Table(title=f"red-team {kind}")
        for column in rows[0] if rows else ["name"]:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(", ".join(v) if isinstance(v, list) else str(v) for v in row.values()))
        from aiposture.commands.common import stdout_console

        stdout_console.print(table)

    run_command(body)


def _rows(kind: str) -> list[dict]:
    from aiposture.redteam.converters.catalog import CONVERTERS
    from aiposture.redteam.probes.catalog import all_probes
    from aiposture.redteam.scorers.catalog import SCORERS
    from aiposture.redteam.strategies.catalog import STRATEGIES
    from aiposture.redteam.targets.config import TARGETS

    if kind == "probes":
        return [
            {
                "id": p.id,
                "category": p.category,
                "severity": p.severity.value,
                "title": p.title,
                "owasp": p.frameworks["owasp-llm-2025"],
                "atlas": p.frameworks["mitre-atlas"],
            }
            for p in all_probes()
        ]
    registries = {
        "converters": CONVERTERS,
        "scorers": SCORERS,
        "strategies": STRATEGIES,
        "targets": TARGETS,
        "reports": WRITERS,
    }
    if kind not in registries:
        raise fail(f"unknown kind {kind!r}: probes, {', '.join(registries)}")
    return [
        {"name": name, "description": cls.description}
        for name, cls in sorted(registries[kind].classes().items())
    ]
