"""SARIF 2.1.0, the format code-scanning UIs (GitHub, Azure DevOps, VS Code) read.

Written by hand: the Python SARIF object models on PyPI (sarif-om) are thin
attrs classes without serialisation help, so building the documented JSON shape
directly is simpler and keeps the dependency list short."""

from __future__ import annotations

import json

from aiposture import __version__
from aiposture.model import Finding, ScanResult
from aiposture.report.base import SEVERITY_SCORE, SEVERITY_TO_SARIF_LEVEL

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif_rule(finding: Finding) -> dict:
    tags = ["security", "ai"] + [f"{fw}/{req}" for fw, reqs in sorted(finding.frameworks.items()) for req in reqs]
    return {
        "id": finding.rule,
        "name": finding.rule.replace("-", ""),
        "shortDescription": {"text": finding.title},
        "fullDescription": {"text": finding.title},
        "help": {"text": finding.remediation or finding.title},
        "defaultConfiguration": {"level": SEVERITY_TO_SARIF_LEVEL[finding.severity.value]},
        "properties": {"tags": tags, "security-severity": SEVERITY_SCORE[finding.severity.value]},
    }


def sarif_result(finding: Finding) -> dict:
    out: dict = {
        "ruleId": finding.rule,
        "level": SEVERITY_TO_SARIF_LEVEL[finding.severity.value],
        "message": {"text": f"{finding.title}. {finding.evidence}".strip()},
        "partialFingerprints": {"aiposture/v1": finding.id},
    }
    if finding.location is not None:
        physical: dict = {"artifactLocation": {"uri": finding.location.path, "uriBaseId": "%SRCROOT%"}}
        if finding.location.line:
            physical["region"] = {"startLine": finding.location.line}
        out["locations"] = [{"physicalLocation": physical}]
    return out


def sarif_document(findings: list[Finding], tool_name: str = "aiposture") -> dict:
    """A whole SARIF log for a list of findings; other writers (model scan, red team)
    reuse it so there is one SARIF shape in the project."""
    rules: dict[str, dict] = {}
    for f in findings:
        rules.setdefault(f.rule, sarif_rule(f))
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": tool_name, "version": __version__,
                                "rules": list(rules.values())}},
            "results": [sarif_result(f) for f in findings],
        }],
    }


class SarifWriter:
    name = "sarif"

    def render(self, result: ScanResult) -> str:
        return json.dumps(sarif_document(result.findings), indent=2)
