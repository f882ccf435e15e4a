"""SARIF 2.1.0: one rule per probe (with OWASP/ATLAS tags and help), one result per
probe found vulnerable, located at the target (an artifact URI) since a running
endpoint has no source line. Code-scanning UIs show these like any other alert."""

from __future__ import annotations

import json

from aiposture import __version__
from aiposture.redteam.report.base import ReportWriter
from aiposture.redteam.report.summary import RunReport
from aiposture.report.base import SEVERITY_SCORE as _SCORE
from aiposture.report.base import SEVERITY_TO_SARIF_LEVEL as _LEVEL


class SarifWriter(ReportWriter):
    name = "sarif"
    description = "SARIF 2.1.0 for code-scanning dashboards"

    def render(self, report: RunReport) -> str:
        rules, results = [], []
        for index, p in enumerate(report.probes):
            tags = [p.category, *p.frameworks.get("owasp-llm-2025", []), *p.frameworks.get("mitre-atlas", [])]
            rules.append(
                {
                    "id": p.probe,
                    "name": p.title.replace(" ", ""),
                    "shortDescription": {"text": p.title},
                    "fullDescription": {"text": p.goal},
                    "help": {"text": p.remediation or p.goal},
                    "defaultConfiguration": {"level": _LEVEL.get(p.severity, "warning")},
                    "properties": {
                        "tags": tags,
                        "security-severity": _SCORE.get(p.severity, "5.0"),
                        "frameworks": p.frameworks,
                    },
                }
            )
            if not p.vulnerable:
                continue
            results.append(
                {
                    "ruleId": p.probe,
                    "ruleIndex": index,
                    "level": _LEVEL.get(p.severity, "warning"),
                    "message": {
                        "text": f"{p.title}: {p.tally.successes}/{p.tally.attempts} attempts got through "
                        f"(ASR {p.asr:.0%}). " + " | ".join(p.evidence[:2])
                    },
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(report.target)}}}],
                    "partialFingerprints": {"probe/target": f"{p.probe}:{report.target}"},
                    "properties": {
                        "asr": round(p.asr, 4),
                        "attempts": p.tally.attempts,
                        "successes": p.tally.successes,
                        "frameworks": p.frameworks,
                    },
                }
            )
        doc = {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "aiposture-redteam",
                            "version": __version__,
                            "informationUri": "https://github.com/aiposture/aiposture",
                            "rules": rules,
                        }
                    },
                    "automationDetails": {"id": f"redteam/{report.run_id}"},
                    "results": results,
                    "properties": {"asr": round(report.asr, 4), "seed": report.seed},
                }
            ],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False)


def _uri(target: str) -> str:
    return target if "://" in target else target.replace("\\", "/")
