"""Secrets: each provider format found and masked; look-alikes and placeholders not."""

from __future__ import annotations

import pytest

from aiposture.detect.secrets import find_secrets

# Synthetic values in each documented format (random characters).
POSITIVE = [
    ("AWS_ACCESS_KEY", "export AWS_ACCESS_KEY_ID=AKIAJGXBENYJQWX6HH75", "AKIAJGXBENYJQWX6HH75"),
    ("AWS_SECRET_KEY", "aws_secret_access_key = 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",
     "99NksnRH9ucAUsdMlHUvTCQCyEZDz+TddJ8HyS5S"),
    ("GITHUB_TOKEN", "use ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d now",
     "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"),
    ("GITLAB_TOKEN", "glpat-Y40uvSwMFLZDe1f8rESQ", "glpat-Y40uvSwMFLZDe1f8rESQ"),
    ("SLACK_TOKEN", "xoxb-10497465075-291703423667-fkCzJr4i0B3JrTAwR4y9ojfl",
     "xoxb-10497465075-291703423667-fkCzJr4i0B3JrTAwR4y9ojfl"),
    ("STRIPE_KEY", "key='sk_live_joQoaF1LlqsajAIxNKu8iS2G'", "sk_live_joQoaF1LlqsajAIxNKu8iS2G"),
    ("GOOGLE_API_KEY", "AIza8NPRVdD53X83RZJzzzzgEOzdmenCkhvMdga", "AIza8NPRVdD53X83RZJzzzzgEOzdmenCkhvMdga"),
    ("OPENAI_API_KEY", "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",
     "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"),
    ("HUGGINGFACE_TOKEN", "HF_TOKEN=hf_a8FRCztUjAwyuh1vauWv1zh87mTa5Vsqxe",
     "hf_a8FRCztUjAwyuh1vauWv1zh87mTa5Vsqxe"),
    ("GROQ_API_KEY", "gsk_Ufd7UACNWiP3sFd67JikEAvstqVVPqzPptEJQzhkPkenG5ZF",
     "gsk_Ufd7UACNWiP3sFd67JikEAvstqVVPqzPptEJQzhkPkenG5ZF"),
    ("DATABASE_URL", "postgresql://app:S3cr3t-Pa55w0rd@db.internal:5432/orders", "S3cr3t-Pa55w0rd"),
    ("DEEPSEEK_API_KEY", "deepseek key: sk-6cb9d21f6be6abf0d7c1c1e21862ab8a",
     "sk-6cb9d21f6be6abf0d7c1c1e21862ab8a"),
]

NEGATIVE = [
    "AKIAIOSFODNN7EXAMPLE",
    "commit 99NksnRH9ucAUsdMlHUvTCQCyEZDz+TddJ8HyS5S",
    "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "set OPENAI_API_KEY=sk-... in your shell",
    "postgresql://app:${DB_PASSWORD}@db:5432/orders",
    "password = os.environ['DB_PASSWORD']",
    "The quarterly report is attached; please summarise it.",
    "",
]


@pytest.mark.parametrize(("kind", "text", "value"), POSITIVE, ids=[p[0] for p in POSITIVE])
def test_secret_found_with_span_type_and_mask(kind: str, text: str, value: str) -> None:
    found = [d for d in find_secrets(text) if d.type == kind]
    assert len(found) == 1
    hit = found[0]
    assert text[hit.start:hit.end] == value
    assert value not in hit.text and hit.text.endswith(f"[{len(value)} chars]")
    assert hit.explanation["rule"].startswith("SEC-")
    assert hit.detector == "secrets"


@pytest.mark.parametrize("text", NEGATIVE)
def test_no_secret_in_look_alikes(text: str) -> None:
    assert find_secrets(text) == []


def test_offsets_are_characters_in_non_ascii_text() -> None:
    text = "Schlüssel für Prod — ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d ✓"
    (hit,) = find_secrets(text)
    assert text[hit.start:hit.end] == "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"


def test_specific_rule_wins_over_generic_assignment() -> None:
    text = "OPENAI_API_KEY=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"
    assert [d.type for d in find_secrets(text)] == ["OPENAI_API_KEY"]


@pytest.mark.parametrize("text", [
    "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 200_000,   # a block that never ends
    "x@" * 100_000,
    "1" * 200_000,
    "ghp_" * 50_000,
    "password=" * 30_000,
    "eyJ" + "a" * 100_000 + ".eyJ" + "b" * 100_000,
    "\u202e" * 10_000 + "sk-" * 10_000,
])
def test_adversarial_inputs_finish_and_find_nothing_odd(text: str) -> None:
    """All patterns are RE2 (linear time): pathological inputs just scan."""
    for hit in find_secrets(text):
        assert hit.end > hit.start and hit.text.endswith("chars]")
