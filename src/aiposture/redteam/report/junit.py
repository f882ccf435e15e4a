"""JUnit XML: a test suite per category, a test case per probe; a probe that was
got through is a failure, so any CI system shows the weakness as a failed test.
Built with xml.etree so every value is escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from aiposture.redteam.report.base import ReportWriter
from aiposture.redteam.report.summary import RunReport


class JunitWriter(ReportWriter):
    name = "junit"
    description = "JUnit XML: probes as test cases, successful attacks as failures"

    def render(self, report: RunReport) -> str:
        root = ET.Element(
            "testsuites",
            name="aiposture-redteam",
            tests=str(len(report.probes)),
            failures=str(sum(p.vulnerable for p in report.probes)),
            time=f"{report.duration_s:.3f}",
        )
        by_category: dict[str, list] = {}
        for p in report.probes:
            by_category.setdefault(p.category, []).append(p)
        for category, probes in sorted(by_category.items()):
            suite = ET.SubElement(
                root,
                "testsuite",
                name=category,
                tests=str(len(probes)),
                failures=str(sum(p.vulnerable for p in probes)),
                errors=str(sum(1 for p in probes if p.tally.errors and not p.tally.attempts)),
            )
            for p in probes:
                case = ET.SubElement(suite, "testcase", classname=f"redteam.{category}", name=p.probe)
                props = ET.SubElement(case, "properties")
                for fw, ids in sorted(p.frameworks.items()):
                    ET.SubElement(props, "property", name=fw, value=",".join(ids))
                if p.vulnerable:
                    failure = ET.SubElement(
                        case,
                        "failure",
                        type=p.severity,
                        message=f"ASR {p.asr:.0%} ({p.tally.successes}/{p.tally.attempts})",
                    )
                    failure.text = "\n".join(p.evidence)
                elif p.tally.errors and not p.tally.attempts:
                    ET.SubElement(case, "error", message=f"{p.tally.errors} attempts failed")
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
