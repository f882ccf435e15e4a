"""Run one peer model-file scanner on a list of files (inside that peer's own venv).

Usage: python model_scanners_run.py TOOL OUT.json FILE...
TOOL is picklescan, modelscan, fickling or modelaudit; each is called through its
Python API one file at a time, the way its docs show. Writes a JSON list of
{"file", "flagged", "error", "detail", "seconds"}: `flagged` means the tool reported
any issue for the file (its most sensitive reading); `error` that it failed or
declined to scan it.
"""

from __future__ import annotations

import json
import sys
import time
import zipfile


def run_picklescan(path: str) -> tuple[bool, str | None, str]:
    from picklescan.scanner import scan_file_path

    res = scan_file_path(path)
    detail = f"issues={res.issues_count} infected={res.infected_files} scanned={res.scanned_files}"
    error = "scan error" if res.scan_err else None
    return res.issues_count > 0 or res.infected_files > 0, error, detail


def run_modelscan(path: str) -> tuple[bool, str | None, str]:
    from modelscan.modelscan import ModelScan

    res = ModelScan().scan(path)
    issues = res.get("issues", [])
    errors = res.get("errors", [])
    skipped = res.get("summary", {}).get("skipped", {}).get("skipped_files", [])
    scanned = res.get("summary", {}).get("scanned", {}).get("total_scanned", 0)
    error = None
    if errors:
        error = str(errors[0].get("description", errors[0]))[:200]
    elif not scanned and not issues:
        error = f"not scanned ({len(skipped)} skipped)"
    return bool(issues), error, f"issues={len(issues)}"


_FICKLING_FLAG = ("LIKELY_UNSAFE", "LIKELY_OVERTLY_MALICIOUS", "OVERTLY_MALICIOUS")


def _fickling_flags(result) -> bool:
    """Flag from LIKELY_UNSAFE up: the charitable reading (SUSPICIOUS and
    POSSIBLY_UNSAFE fire on most benign pickles)."""
    return str(result.severity).split(".")[-1] in _FICKLING_FLAG


def run_fickling(path: str) -> tuple[bool, str | None, str]:
    import fickling

    if zipfile.is_zipfile(path):
        results = fickling.scan_zip_archive(path, graceful=True)
        flagged = any(_fickling_flags(r) for r in results.values())
        errors = [e for r in results.values() for e in (r.errors or [])]
        return flagged, (str(errors[0])[:200] if errors and not flagged else None), f"members={len(results)}"
    res = fickling.scan_file(path, graceful=True)
    errors = res.errors or []
    flagged = _fickling_flags(res)
    return flagged, (str(errors[0])[:200] if errors and not flagged else None), str(res.severity)


def run_modelaudit(path: str) -> tuple[bool, str | None, str]:
    from modelaudit.core import scan_model_directory_or_file

    res = scan_model_directory_or_file(path)
    data = res if isinstance(res, dict) else res.model_dump() if hasattr(res, "model_dump") else vars(res)
    issues = data.get("issues", []) or []
    levels = [str(_get(i, "severity")).lower().split(".")[-1] for i in issues]
    critical = levels.count("critical")
    warning = levels.count("warning")
    error = None
    if not data.get("files_scanned", 1) and not (critical or warning):
        error = "not scanned"
    return bool(critical or warning), error, f"critical={critical} warning={warning}"


def _get(item, key):
    return item.get(key) if isinstance(item, dict) else getattr(item, key, None)


RUNNERS = {
    "picklescan": run_picklescan,
    "modelscan": run_modelscan,
    "fickling": run_fickling,
    "modelaudit": run_modelaudit,
}


def main() -> None:
    tool, out, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    runner = RUNNERS[tool]
    rows = []
    for path in files:
        start = time.perf_counter()
        try:
            flagged, error, detail = runner(path)
        except Exception as exc:  # noqa: BLE001 - a peer crashing on a file is a result
            flagged, error, detail = False, f"{type(exc).__name__}: {str(exc)[:160]}", "exception"
        row = {
            "file": path,
            "flagged": flagged,
            "error": error,
            "detail": detail,
            "seconds": time.perf_counter() - start,
        }
        if tool == "modelaudit":
            row["flagged_critical"] = "critical=0" not in detail and detail.startswith("critical=")
        rows.append(row)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(rows, fh)


if __name__ == "__main__":
    main()
