"""A self-contained HTML report (no scripts, no fonts or styles fetched): a Jinja2
template shipped as package data, rendered with autoescape on, so attacker-written
replies quoted in the report stay inert text."""

from __future__ import annotations

from importlib import resources

from jinja2 import Environment, select_autoescape

from aiposture.redteam.frameworks import title
from aiposture.redteam.probes.base import CATEGORIES
from aiposture.redteam.report.base import ReportWriter
from aiposture.redteam.report.summary import RunReport

MAX_QUOTE = 1200


def _template() -> str:
    path = resources.files("aiposture.data") / "redteam" / "templates" / "report.html.j2"
    return path.read_text(encoding="utf-8")


class HtmlWriter(ReportWriter):
    name = "html"
    description = "self-contained HTML report (autoescaped, no network)"

    def render(self, report: RunReport) -> str:
        env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
        env.filters["clip"] = lambda s, n=MAX_QUOTE: s if len(s) <= n else s[:n] + f"… [{len(s)} chars]"
        template = env.from_string(_template())
        successes = [a for a in report.attempts if a.success][:200]
        return template.render(report=report, categories=CATEGORIES, fw_title=title, successes=successes)
