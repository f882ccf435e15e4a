"""The report-writer interface: `render(report) -> str`, one class per format,
listed in an explicit registry (plus entry points `aiposture.redteam.reports`)."""

from __future__ import annotations

from typing import ClassVar

from aiposture.redteam.registry import Registry
from aiposture.redteam.report.summary import RunReport


class ReportWriter:
    name: ClassVar[str]
    description: ClassVar[str] = ""

    def render(self, report: RunReport) -> str:
        raise NotImplementedError


WRITERS = Registry(
    "reports",
    [
        "aiposture.redteam.report.table:TableWriter",
        "aiposture.redteam.report.json_writer:JsonWriter",
        "aiposture.redteam.report.html:HtmlWriter",
        "aiposture.redteam.report.sarif:SarifWriter",
        "aiposture.redteam.report.junit:JunitWriter",
    ],
)


def render(report: RunReport, fmt: str) -> str:
    return WRITERS.get(fmt)().render(report)
