"""Every case of the generated corpus (every format, every known bypass, bad input):
the verdict, the rules that must fire, the detected format; benign files raise
nothing above `info`."""

from __future__ import annotations

import pytest
from model_corpus import Case, all_cases, build_corpus

from aiposture.discover.models import scan_file
from aiposture.discover.rules import all_rules

CASES = all_cases()


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    build_corpus(folder, CASES)
    return folder


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, corpus_dir) -> None:
    report = scan_file(corpus_dir / case.name)
    rules = {issue.rule for issue in report.issues}
    assert report.verdict == case.expected_verdict, report.issues
    assert case.rules <= rules, report.issues
    if case.format:
        assert report.format == case.format
    if not case.malicious and case.verdict is None:
        assert all(issue.severity.value == "info" for issue in report.issues), report.issues
    assert report.sha256 and len(report.sha256) == 64


def test_every_model_rule_has_a_positive_and_a_negative_case(corpus_dir) -> None:
    """Each AIP-MODEL rule fires on some case of the corpus or of the provenance
    tests, and none fires on the plainly benign cases."""
    fired: set[str] = set()
    benign_fired: set[str] = set()
    for case in CASES:
        rules = {issue.rule for issue in scan_file(corpus_dir / case.name).issues}
        fired |= rules
        if not case.malicious and case.verdict is None:
            benign_fired |= {r for r in rules if all_rules()[r].severity.value != "info"}
    provenance_only = {"AIP-MODEL-022", "AIP-MODEL-023", "AIP-MODEL-024", "AIP-MODEL-025", "AIP-MODEL-007"}
    model_rules = {r for r in all_rules() if r.startswith("AIP-MODEL-")}
    assert model_rules - fired <= provenance_only
    assert not benign_fired


def test_every_corpus_file_cut_short_still_gets_a_verdict(corpus_dir, tmp_path) -> None:
    """Truncated copies of every case: a verdict each, never a scanner fault."""
    for case in CASES:
        data = (corpus_dir / case.name).read_bytes()
        for cut in sorted({len(data) // 3, 2 * len(data) // 3, max(len(data) - 1, 0)}):
            path = tmp_path / f"cut{cut}_{case.name}"
            path.write_bytes(data[:cut])
            report = scan_file(path)
            assert report.verdict in ("safe", "suspicious", "unsafe", "error")
            assert not (report.error or "").startswith("scanner fault"), (case.name, cut, report.error)
            path.unlink()
