"""AI misconfiguration coverage and speed: aiposture's IaC checks side by side with
Checkov on the same files.

Every check in `data/discover/iac/checks.yaml` carries a passing and a failing example
resource; the test suite renders them as real Terraform / ARM / Bicep / CloudFormation
(YAML and JSON). This script writes all those files to a folder (plus the companion
private endpoint for `referenced_by` checks), then:

- runs aiposture's `iac` scanner on each file and records whether the failing example
  raised the check's finding and the passing one did not;
- runs Checkov once over the folder (frameworks terraform, arm, bicep, cloudformation)
  and counts a case as detected when some Checkov check fails on the failing file but not
  on its passing twin (no hand-made id mapping: the twin files differ only in the setting
  under test), reporting which Checkov ids made the difference.

    python benchmarks/iac_checks_bench.py [--checkov benchmarks/.venv-checkov/bin/checkov] [--repeat 20]

Checkov is installed in its own venv (`python -m venv benchmarks/.venv-checkov &&
benchmarks/.venv-checkov/bin/pip install checkov`); it is never a runtime dependency.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "discover" / "iac"))

from iac_fixtures import RENDERERS, Ref, formats_for  # noqa: E402

from aiposture.discover.base import ScanOutput, SourceFile  # noqa: E402
from aiposture.discover.iac import IacScanner  # noqa: E402
from aiposture.discover.iac.catalog import checks  # noqa: E402

PE = {"Microsoft.Network/privateEndpoints": {"properties": {"privateLinkServiceConnections": [
          {"name": "c", "properties": {"privateLinkServiceId": None}}]}},
      "azurerm_private_endpoint": {"private_service_connection": {
          "name": "c", "private_connection_resource_id": None, "is_manual_connection": False}}}


def _companion(check, rtype: str) -> list:
    if check.test != "referenced_by":
        return []
    by = check.by_types[0]
    body = json.loads(json.dumps(PE[by]))
    if by == "azurerm_private_endpoint":
        body["private_service_connection"]["private_connection_resource_id"] = Ref(rtype, "target")
    else:
        body["properties"]["privateLinkServiceConnections"][0]["properties"]["privateLinkServiceId"] = \
            Ref(rtype, "target")
    return [(by, "pe", body)]


def write_cases(root: Path) -> list[dict]:
    """One folder per (check, type, format, outcome), each with one template file."""
    cases = []
    for check in checks():
        for rtype in check.resource_types:
            for fmt in formats_for(rtype):
                name, render = RENDERERS[fmt]
                for outcome, body in (("pass", check.examples.pass_), ("fail", check.examples.fail)):
                    folder = root / check.id / rtype.replace("/", "_").replace(":", "_") / fmt / outcome
                    folder.mkdir(parents=True)
                    extra = _companion(check, rtype) if outcome == "pass" else []
                    (folder / name).write_text(render([(rtype, "target", body), *extra]), encoding="utf-8")
                    cases.append({"check": check, "rtype": rtype, "fmt": fmt, "outcome": outcome,
                                  "file": folder / name})
    return cases


def run_aiposture(cases: list[dict], repeat: int) -> tuple[dict, float]:
    scanner = IacScanner()
    flagged: dict[Path, bool] = {}
    start = time.perf_counter()
    for _ in range(repeat):
        for case in cases:
            path, check = case["file"], case["check"]
            out = ScanOutput()
            scanner.scan(SourceFile(path=path, rel=path.name, size=path.stat().st_size), out)
            flagged[path] = any(f.rule == check.rule and check.message in f.evidence for f in out.findings)
    elapsed = (time.perf_counter() - start) / repeat
    return flagged, elapsed


def run_checkov(binary: str, root: Path) -> tuple[dict[str, set[str]], float]:
    start = time.perf_counter()
    proc = subprocess.run(
        [binary, "-d", str(root), "-o", "json", "--quiet", "--compact", "--skip-download",
         "--framework", "terraform", "arm", "bicep", "cloudformation"],
        capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    failed: dict[str, set[str]] = defaultdict(set)
    data = json.loads(proc.stdout or "[]")
    for report in data if isinstance(data, list) else [data]:
        for item in (report.get("results") or {}).get("failed_checks", []):
            failed[str(Path(item["file_abs_path"]).resolve())].add(item["check_id"])
    return failed, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkov", default=str(ROOT / "benchmarks" / ".venv-checkov" / "bin" / "checkov"))
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="iac-bench-"))
    try:
        cases = write_cases(root)
        ours, ours_s = run_aiposture(cases, args.repeat)
        theirs, theirs_s = run_checkov(args.checkov, root)
        report(cases, ours, ours_s, theirs, theirs_s)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def report(cases, ours, ours_s, theirs, theirs_s) -> None:
    pairs: dict[tuple, dict] = defaultdict(dict)
    for case in cases:
        pairs[(case["check"].id, case["rtype"], case["fmt"])][case["outcome"]] = case["file"]
    rows = defaultdict(lambda: [0, 0, 0, set()])  # rule -> [cases, ours ok, checkov ok, checkov ids]
    by_fmt = defaultdict(lambda: [0, 0, 0])
    check_rule = {c.id: c.rule for c in checks()}
    for (check_id, _rtype, fmt), files in pairs.items():
        ok_ours = ours[files["fail"]] and not ours[files["pass"]]
        failed_on = theirs.get(str(files["fail"].resolve()), set())
        diff = failed_on - theirs.get(str(files["pass"].resolve()), set())
        row = rows[check_rule[check_id]]
        row[0] += 1
        row[1] += ok_ours
        row[2] += bool(diff)
        row[3] |= diff
        by_fmt[fmt][0] += 1
        by_fmt[fmt][1] += ok_ours
        by_fmt[fmt][2] += bool(diff)
    n_files = len(cases)
    print(f"{n_files} template files, {len(pairs)} pass/fail pairs, {len(checks())} aiposture checks\n")
    print("| rule | pairs | aiposture detects | Checkov detects | Checkov ids that differ |")
    print("| --- | ---: | ---: | ---: | --- |")
    for rule in sorted(rows):
        total, a, c, ids = rows[rule]
        print(f"| {rule} | {total} | {a} | {c} | {', '.join(sorted(ids)) or '-'} |")
    print("\n| format | pairs | aiposture | Checkov |")
    print("| --- | ---: | ---: | ---: |")
    for fmt in sorted(by_fmt):
        total, a, c = by_fmt[fmt]
        print(f"| {fmt} | {total} | {a} | {c} |")
    print(f"\naiposture iac scanner: {ours_s:.3f} s for {n_files} files = {n_files / ours_s:,.0f} files/s "
          "(one process, warm)")
    print(f"Checkov {n_files} files: {theirs_s:.1f} s wall incl. start = {n_files / theirs_s:,.1f} files/s")


if __name__ == "__main__":
    main()
