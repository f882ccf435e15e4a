"""The posture as text for a terminal (`--format table`) and as JSON for programs:
score and coverage, checks, apps, frameworks, attack paths and recommendations."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from aiposture.govern.posture import PostureReport
from aiposture.model import ScanResult

_STATUS_STYLE = {"pass": "green", "fail": "red", "not_assessed": "dim"}


def render_json(report: PostureReport, result: ScanResult | None = None) -> str:
    body = {"posture": report.model_dump(mode="json")}
    if result is not None:
        body = {**result.model_dump(mode="json"), **body}
    return json.dumps(body, indent=2, ensure_ascii=False)


def render_table(report: PostureReport, color: bool = False, history_only: bool = False) -> str:
    console = Console(
        record=True, width=130, force_terminal=color, color_system="standard" if color else None
    )
    with console.capture() as capture:
        if history_only:
            _history(console, report)
        else:
            _summary(console, report)
    return capture.get()


def _summary(console: Console, report: PostureReport) -> None:
    s = report.score
    console.print(
        f"[bold]Posture score {s.score:.1f}/100[/] (evidence coverage {s.coverage:.1f}%) — "
        f"{s.passed} passed, {s.failed} failed, {s.not_assessed} not assessed; "
        f"{len(report.attack_paths)} attack path(s)"
    )
    checks = Table(title="Checks", show_lines=False)
    for col in ("check", "severity", "status", "evidence"):
        checks.add_column(col, overflow="fold")
    for c in report.checks:
        style = _STATUS_STYLE.get(c.status.value, "")
        checks.add_row(f"{c.id} {c.title}", c.severity.value, f"[{style}]{c.status.value}[/]", c.why)
    console.print(checks)
    if report.score.recommendations:
        recs = Table(title="Fix first (points regained)")
        for col in ("points", "check", "do"):
            recs.add_column(col, overflow="fold")
        for r in report.score.recommendations:
            action = r.remediation if r.action == "fix" else f"assess: {r.why}"
            recs.add_row(f"+{r.points:.1f}", f"{r.check} {r.title}", action)
        console.print(recs)
    if report.apps:
        apps = Table(title="Apps")
        for col in ("app", "score", "coverage", "failed checks"):
            apps.add_column(col, overflow="fold")
        for a in report.apps:
            apps.add_row(a.name, f"{a.score:.1f}", f"{a.coverage:.1f}%", ", ".join(a.failed))
        console.print(apps)
    fws = Table(title="Frameworks")
    for col in ("framework", "requirements", "automated", "passing", "fail"):
        fws.add_column(col)
    for fw in report.frameworks:
        fws.add_row(
            f"{fw.name} {fw.version}",
            str(len(fw.requirements)),
            str(fw.automated),
            f"{fw.percent_passing:.1f}%",
            str(fw.counts.get("fail", 0)),
        )
    console.print(fws)
    for p in report.attack_paths[:20]:
        console.print(f"[red]{p.severity}[/] {p.rule} {' -> '.join(p.labels)}", highlight=False)


def _history(console: Console, report: PostureReport) -> None:
    table = Table(title=f"Posture history of {report.run.target}")
    for col in ("run", "started", "score", "coverage", "change"):
        table.add_column(col)
    previous = None
    for point in report.history:
        change = "" if previous is None else f"{point.score - previous:+.1f}"
        table.add_row(point.run[:12], point.started, f"{point.score:.1f}", f"{point.coverage:.1f}%", change)
        previous = point.score
    console.print(table)
