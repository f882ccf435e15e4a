"""Redaction styles and the pseudonym round trip."""

from __future__ import annotations

from aiposture.detect.redact import Pseudonymizer, redact

TEXT = "mail ann@contoso.com and bob@contoso.com, again ann@contoso.com"
SPANS = [(5, 20, "EMAIL_ADDRESS"), (25, 40, "EMAIL_ADDRESS"), (48, 63, "EMAIL_ADDRESS")]


def test_styles() -> None:
    assert redact(TEXT, [(*SPANS[0], "mask")]).startswith("mail " + "*" * 15 + " and")
    assert redact(TEXT, [(*s, "placeholder") for s in SPANS]) == \
        "mail <EMAIL_ADDRESS> and <EMAIL_ADDRESS>, again <EMAIL_ADDRESS>"


def test_pseudonyms_are_stable_and_restorable() -> None:
    pseudo = Pseudonymizer()
    out = redact(TEXT, [(*s, "pseudonym") for s in SPANS], pseudo)
    assert out == "mail <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_2>, again <EMAIL_ADDRESS_1>"
    assert pseudo.restore(out) == TEXT
    again = Pseudonymizer.from_dict(pseudo.to_dict())
    assert again.restore("reply to <EMAIL_ADDRESS_2> and <EMAIL_ADDRESS_9>") == \
        "reply to bob@contoso.com and <EMAIL_ADDRESS_9>"
    assert again.token_for("EMAIL_ADDRESS", "new@contoso.com") == "<EMAIL_ADDRESS_3>"


def test_overlapping_spans_merge() -> None:
    assert redact("abcdef", [(0, 4, "A", "placeholder"), (2, 6, "B", "placeholder")]) == "<A>ef"
