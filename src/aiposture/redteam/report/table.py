"""The table a person reads in a terminal: one row per probe, vulnerable first."""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.table import Table

from aiposture.redteam.report.base import ReportWriter
from aiposture.redteam.report.summary import RunReport


class TableWriter(ReportWriter):
    name = "table"
    description = "Rich table per probe with ASR and framework mappings"

    def render(self, report: RunReport) -> str:
        table = Table(title=f"Red team {report.run_id} — {report.target}", show_lines=False)
        for column in ("probe", "category", "severity", "result", "ASR", "OWASP", "ATLAS"):
            table.add_column(column, overflow="fold")
        for p in sorted(report.probes, key=lambda p: (not p.vulnerable, p.category, p.probe)):
            result = "[bold red]VULNERABLE[/]" if p.vulnerable else "[green]resisted[/]"
            if p.tally.errors and not p.tally.attempts:
                result = "[yellow]error[/]"
            table.add_row(
                p.probe,
                p.category,
                p.severity,
                result,
                f"{p.tally.successes}/{p.tally.attempts} ({p.asr:.0%})",
                ",".join(p.frameworks.get("owasp-llm-2025", [])),
                ",".join(p.frameworks.get("mitre-atlas", [])),
            )
        buffer = StringIO()
        console = Console(file=buffer, width=140, force_terminal=False, color_system=None)
        console.print(table)
        o = report.overall
        console.print(
            f"attack success rate {report.asr:.1%} ({o.successes}/{o.attempts}), errors {o.errors}, "
            f"skipped {o.skipped}, requests {report.requests}, {report.duration_s:.1f}s"
        )
        for line in report.gate:
            console.print(f"GATE FAILED: {line}")
        return buffer.getvalue()
