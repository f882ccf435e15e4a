"""JSON: the whole RunReport (summary, per-probe and per-attempt detail)."""

from __future__ import annotations

import json

from aiposture.redteam.report.base import ReportWriter
from aiposture.redteam.report.summary import RunReport


class JsonWriter(ReportWriter):
    name = "json"
    description = "machine-readable report: summary, probes, attempts with reasons"

    def render(self, report: RunReport) -> str:
        body = report.model_dump(mode="json")
        body["asr_by_category"] = report.category_asr()
        body["duration_s"] = round(report.duration_s, 3)
        return json.dumps(body, indent=2, ensure_ascii=False)
