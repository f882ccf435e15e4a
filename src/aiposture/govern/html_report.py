"""The self-contained HTML posture report: one file, inline CSS and SVG, no script,
no network (a Content-Security-Policy meta tag forbids loading anything). The
template is package data (`data/report/posture.html.j2`) rendered by Jinja2 with
autoescape on; only our own SVG (escaped in `svg.py`) is marked safe.

Very large estates are capped in the tables (the counts above them are exact), so
the report stays a few MB at most and renders fast."""

from __future__ import annotations

from collections import Counter
from functools import cache
from importlib import resources
from pathlib import PurePath

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from aiposture import __version__
from aiposture.govern import svg
from aiposture.govern.posture import PostureReport
from aiposture.model import ScanResult, Severity

SEVERITIES = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]
MAX_ROWS = 2000
STATUS_ORDER = ["pass", "partial", "fail", "not_assessed", "manual"]


@cache
def _template():
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    text = resources.files("aiposture.data").joinpath("report", "posture.html.j2").read_text(encoding="utf-8")
    return env.from_string(text)


def _charts(report: PostureReport, result: ScanResult, by_severity: dict[str, int]) -> dict[str, object]:
    kinds = Counter(a.kind for a in result.assets)
    return {
        "gauge": Markup(svg.gauge(report.score.score)),
        "trend": Markup(svg.trend([(p.started, p.score) for p in report.history])),
        "severity": Markup(
            svg.hbars([(s, by_severity.get(s, 0), svg.SEVERITY_COLOURS[s]) for s in SEVERITIES])
        ),
        "kinds": Markup(
            svg.hbars([(k, n, "#1c7ed6") for k, n in sorted(kinds.items(), key=lambda x: (-x[1], x[0]))])
        ),
        "graph": Markup(svg.graph(report.attack_graph)),
        "framework_bars": {
            fw.id: Markup(svg.stacked_bar(fw.counts, STATUS_ORDER)) for fw in report.frameworks
        },
    }


def render_html(report: PostureReport, result: ScanResult) -> str:
    findings = sorted(result.findings, key=lambda f: (-f.severity.rank, f.rule, f.id))
    by_severity = Counter(f.severity.value for f in findings)
    assets = sorted(result.assets, key=lambda a: (a.kind, a.name, a.id))
    return _template().render(
        report=report,
        version=__version__,
        target_name=PurePath(report.run.target).name or report.run.target,
        findings=findings,
        findings_shown=findings[:MAX_ROWS],
        findings_truncated=len(findings) > MAX_ROWS,
        assets=assets,
        assets_shown=assets[:MAX_ROWS],
        assets_truncated=len(assets) > MAX_ROWS,
        by_severity=dict(by_severity),
        severities=SEVERITIES,
        svg=_charts(report, result, by_severity),
    )
