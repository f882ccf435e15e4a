"""The `table` format: what a person reads in a terminal (Rich tables). Rendered
to a string so the command decides where it goes; colour only on a terminal."""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from rich.table import Table

from aiposture.model import ScanResult

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan",
                  "info": "dim"}
MAX_LOCATIONS_SHOWN = 2


def _assets_table(result: ScanResult) -> Table:
    table = Table(title=f"AI inventory: {len(result.assets)} assets", title_justify="left")
    for column in ("kind", "name", "version", "provider", "where"):
        table.add_column(column, overflow="fold")
    for a in result.assets:
        where = ", ".join(str(loc) for loc in a.locations[:MAX_LOCATIONS_SHOWN])
        if len(a.locations) > MAX_LOCATIONS_SHOWN:
            where += f" (+{len(a.locations) - MAX_LOCATIONS_SHOWN})"
        table.add_row(a.kind, a.name, a.version or "", a.provider or "", where)
    return table


def _findings_table(result: ScanResult) -> Table:
    table = Table(title=f"Findings: {len(result.findings)}", title_justify="left")
    for column in ("severity", "rule", "title", "where", "evidence"):
        table.add_column(column, overflow="fold")
    for f in result.findings:
        table.add_row(f"[{SEVERITY_STYLE[f.severity.value]}]{f.severity.value}[/]", f.rule, f.title,
                      str(f.location or ""), f.evidence)
    return table


def summary_line(result: ScanResult) -> str:
    counts = Counter(f.severity.value for f in result.findings)
    sev = ", ".join(f"{counts[s]} {s}" for s in ("critical", "high", "medium", "low", "info") if counts[s])
    diff = result.run.diff
    change = ""
    if diff.get("previous_run"):
        change = (f" | since last scan: {len(diff.get('new', []))} new, {len(diff.get('changed', []))} changed,"
                  f" {len(diff.get('gone', []))} gone")
    return (f"{result.run.files_scanned} files scanned, {len(result.assets)} assets, "
            f"{len(result.findings)} findings ({sev or 'none'}), {len(result.skipped)} skipped{change}")


class TableWriter:
    name = "table"

    def __init__(self, color: bool = False, width: int = 160) -> None:
        self.color = color
        self.width = width

    def render(self, result: ScanResult) -> str:
        buffer = io.StringIO()
        console = Console(file=buffer, force_terminal=self.color, no_color=not self.color, width=self.width,
                          highlight=False)
        console.print(_assets_table(result))
        if result.findings:
            console.print(_findings_table(result))
        if result.skipped:
            reasons = Counter(s.reason.split(":")[0] for s in result.skipped)
            console.print("Skipped: " + ", ".join(f"{n} {r}" for r, n in reasons.most_common()))
        console.print(summary_line(result))
        return buffer.getvalue()
