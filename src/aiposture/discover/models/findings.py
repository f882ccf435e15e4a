"""Model-file reports as shared `Finding`s (discover, assess, SARIF): one finding per
issue, with title, remediation and framework mappings from the rule data."""

from __future__ import annotations

from aiposture.discover.models.results import ModelFileReport
from aiposture.discover.rules import make_finding
from aiposture.model import Finding, Location


def report_to_findings(
    report: ModelFileReport, asset_id: str | None = None, *, display_path: str | None = None
) -> list[Finding]:
    location = Location(path=display_path or report.path)
    findings = []
    for issue in report.issues:
        evidence = issue.detail + (f" (offset {issue.offset})" if issue.offset is not None else "")
        findings.append(
            make_finding(
                issue.rule,
                location,
                asset=asset_id,
                evidence=evidence,
                discriminator=issue.detail,
                severity=issue.severity,
            )
        )
    return findings
