"""Posture assessment of one scan: attack paths, checks, frameworks and scores.

`assess_posture` is pure — a ScanResult and the gathered Evidence in, a
PostureReport out — so the `assess` and `posture` commands, the tests and the
benchmarks all run the same code. Attack paths run first because one check
(AIP-POSTURE-013) reads their findings; failed checks then become findings too,
so SARIF output and `--fail-on` see them like any other finding.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from aiposture.govern.apps import split_by_app
from aiposture.govern.attack_paths import AttackAnalysis, analyse, path_findings
from aiposture.govern.checks.engine import evaluate
from aiposture.govern.checks.loader import load_checks
from aiposture.govern.checks.model import CheckResult, Status
from aiposture.govern.evidence import Evidence, PostureContext
from aiposture.govern.frameworks import FrameworkCoverage, coverage, with_frameworks
from aiposture.govern.score import Score, score
from aiposture.model import Finding, RunInfo, ScanResult


class AppPosture(BaseModel):
    name: str
    score: float
    coverage: float
    assets: int
    findings: int
    failed: list[str] = Field(default_factory=list)


class PathView(BaseModel):
    rule: str
    title: str
    severity: str
    entry: str
    jewel: str
    hops: int
    nodes: list[str]
    labels: list[str]


class HistoryPoint(BaseModel):
    run: str
    started: str
    score: float
    coverage: float


class PostureReport(BaseModel):
    run: RunInfo
    score: Score
    checks: list[CheckResult]
    apps: list[AppPosture]
    frameworks: list[FrameworkCoverage]
    attack_paths: list[PathView]
    attack_graph: dict[str, list[dict[str, Any]]]
    paths_truncated: bool = False
    history: list[HistoryPoint] = Field(default_factory=list)


def _check_finding(result: CheckResult) -> Finding:
    return Finding.make(
        result.id,
        None,
        discriminator="posture",
        title=result.title,
        severity=result.severity,
        evidence=result.why + (f" — {', '.join(result.failing[:10])}" if result.failing else ""),
        remediation=result.remediation,
        frameworks=result.frameworks,
    )


def _graph_view(analysis: AttackAnalysis) -> dict[str, list[dict[str, Any]]]:
    sub = analysis.path_subgraph()
    nodes = [
        {
            "id": n,
            "label": d.get("label", n),
            "kind": d.get("kind", ""),
            "entry": d.get("entry"),
            "jewel": d.get("jewel"),
        }
        for n, d in sub.nodes(data=True)
    ]
    edges = [
        {"source": u, "target": v, "relation": d.get("relation", "")} for u, v, d in sub.edges(data=True)
    ]
    return {"nodes": nodes, "edges": edges}


def _add_findings(result: ScanResult, findings: list[Finding]) -> None:
    seen = {f.id for f in result.findings}
    for finding in findings:
        if finding.id not in seen:
            seen.add(finding.id)
            result.findings.append(finding)


def assess_posture(result: ScanResult, evidence: Evidence) -> PostureReport:
    """Score `result` in place: path and failed-check findings are appended to it."""
    result.findings = [f for f in result.findings if not f.rule.startswith(("AIP-PATH-", "AIP-POSTURE-"))]
    analysis = analyse(result)
    _add_findings(result, path_findings(analysis.paths, analysis.graph))
    checks = with_frameworks(load_checks())
    per_app = split_by_app(result)
    estate_ctx = PostureContext(result=result, evidence=evidence, app=None, apps=sorted(per_app))
    results = evaluate(checks, estate_ctx)
    apps = []
    for name, sliced in per_app.items():
        app_results = evaluate(
            checks, PostureContext(result=sliced, evidence=evidence, app=name, apps=[name])
        )
        app_score = score(app_results, top=0)
        apps.append(
            AppPosture(
                name=name,
                score=app_score.score,
                coverage=app_score.coverage,
                assets=len(sliced.assets),
                findings=len(sliced.findings),
                failed=[r.id for r in app_results if r.status is Status.FAIL],
            )
        )
    _add_findings(result, [_check_finding(r) for r in results if r.status is Status.FAIL])
    paths = [
        PathView(
            rule=p.rule,
            title=p.title,
            severity=p.severity.value,
            entry=p.entry,
            jewel=p.jewel,
            hops=p.hops,
            nodes=list(p.nodes),
            labels=list(p.labels),
        )
        for p in analysis.paths
    ]
    return PostureReport(
        run=result.run,
        score=score(results),
        checks=results,
        apps=apps,
        frameworks=coverage(results),
        attack_paths=paths,
        attack_graph=_graph_view(analysis),
        paths_truncated=analysis.truncated,
    )
