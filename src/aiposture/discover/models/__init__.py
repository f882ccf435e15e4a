"""Static model-file security scanning: what loading a model file would do, told
without loading it. `scan_file` is the entry point; `is_model_file` the cheap test
the discovery engine uses; `report_to_findings` turns a report into Findings."""

from __future__ import annotations

from pathlib import Path

from aiposture.discover.models.approval import ApprovedModels
from aiposture.discover.models.findings import report_to_findings
from aiposture.discover.models.results import (
    Issue,
    ModelFileReport,
    ScanContext,
    ScanOptions,
    Verdict,
    verdict_for,
)
from aiposture.discover.models.scanner import is_model_file, scan_path
from aiposture.discover.models.signing import check_signature

__all__ = [
    "scan_file",
    "is_model_file",
    "report_to_findings",
    "ModelFileReport",
    "ScanOptions",
    "Issue",
    "Verdict",
    "ApprovedModels",
]


def scan_file(
    path: Path | str, *, options: ScanOptions | None = None, approved: ApprovedModels | None = None
) -> ModelFileReport:
    """Scan one model file. Never raises for a bad file: its verdict is `error`."""
    options = options or ScanOptions()
    path = Path(path)
    report = scan_path(path, options)
    if report.error and report.format == "unknown" and not path.is_file():
        return report
    _provenance(report, path, options)
    if approved is not None and report.sha256:
        report.approved = approved.is_approved(sha256=report.sha256)  # files: by hash only
        if not report.approved:
            _add(report, "AIP-MODEL-025", f"sha256 {report.sha256[:16]}… is not in the approved-model registry")
    return report


def _provenance(report: ModelFileReport, path: Path, options: ScanOptions) -> None:
    check = check_signature(
        path, public_key=options.signer_key, identity=options.signer_identity, issuer=options.signer_issuer
    )
    report.signed = check.signature is not None
    report.signature_verified = check.verified
    if check.signature is None:
        if options.require_signed:
            _add(report, "AIP-MODEL-022", "no model.sig or sigstore bundle next to the model")
        return
    if check.verified is None:
        _add(report, "AIP-MODEL-023", f"{check.signature.name}: {check.reason}")
    elif check.verified is False:
        _add(report, "AIP-MODEL-024", f"{check.signature.name}: {check.reason}")


def _add(report: ModelFileReport, rule: str, detail: str) -> None:
    ctx = ScanContext(ScanOptions())
    ctx.issue(rule, detail)
    report.issues.extend(ctx.issues)
    report.verdict = verdict_for(report.issues, report.error)
