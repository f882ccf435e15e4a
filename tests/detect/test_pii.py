"""Personal data: for every type a valid value found (with its span) next to a decoy
that fails the checksum or the format, in the same sentence."""

from __future__ import annotations

import pytest

from aiposture.detect.pii import PiiDetector

THRESHOLD = 0.5  # the default policy's redaction threshold

# (type, template, valid value, decoy value)
CASES = [
    ("EMAIL_ADDRESS", "Contact: {}", "jane.doe@contoso.example.com", "jane.doe@localhost"),
    ("PHONE_NUMBER", "Call me on {} tomorrow", "+44 20 7946 0958", "+1 111 111"),
    ("PHONE_NUMBER", "phone: {}", "(415) 555-0132", "(415) 555-01"),
    ("CREDIT_CARD", "Card number {} exp 12/29", "4111 1111 1111 1111", "4111 1111 1111 1112"),
    ("CREDIT_CARD", "amex {}", "3782-822463-10005", "3782-822463-10006"),
    ("CREDIT_CARD", "Mastercard {}", "5555555555554444", "5555555555554445"),
    ("IBAN_CODE", "Please wire to IBAN {}", "DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 01"),
    ("IBAN_CODE", "account {}", "GB82WEST12345698765432", "GB82WEST12345698765433"),
    ("US_SSN", "SSN: {}", "536-22-1234", "666-22-1234"),
    ("US_SSN", "social security number {}", "536221234", "000221234"),
    ("US_BANK_ROUTING", "routing number {}", "011000015", "011000016"),
    ("US_PASSPORT", "passport number {}", "A12345678", "A1234567"),
    ("UK_NINO", "National Insurance number {}", "AB 12 34 56 C", "GB 12 34 56 C"),
    ("UK_NHS", "NHS number {}", "943 476 5919", "943 476 5918"),
    ("DE_TAX_ID", "Steuer-IdNr. {}", "86 095 742 719", "86 095 742 718"),
    ("FR_INSEE", "numéro de sécurité sociale {}", "1 84 12 76 451 089 46", "1 84 12 76 451 089 47"),
    ("ES_NIF", "DNI {}", "12345678Z", "12345678A"),
    ("ES_NIF", "NIE {}", "X1234567L", "X1234567A"),
    ("IN_AADHAAR", "Aadhaar {}", "2341 2341 2346", "2341 2341 2347"),
    ("IP_ADDRESS", "login from {}", "203.0.113.42", "256.1.1.1"),
    ("IP_ADDRESS", "client {}", "2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e::7334"),
    ("MAC_ADDRESS", "device MAC {}", "00:1A:2B:3C:4D:5E", "00:1A:2B:3C:4D"),
    ("DATE_OF_BIRTH", "date of birth: {}", "1984-03-12", "1984-02-31"),
    ("DATE_OF_BIRTH", "born on {}", "March 5, 1990", "March 35, 1990"),
    ("MEDICAL", "the patient was diagnosed with {}", "diabetes", "a sprained ankle"),
]


@pytest.fixture(scope="module")
def pii() -> PiiDetector:
    return PiiDetector()


def _of_type(pii: PiiDetector, text: str, kind: str) -> list:
    return [d for d in pii.detect(text) if d.type == kind and d.score >= THRESHOLD]


@pytest.mark.parametrize(("kind", "template", "valid", "decoy"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_valid_value_found_decoy_not(pii: PiiDetector, kind: str, template: str, valid: str,
                                     decoy: str) -> None:
    text = template.format(valid)
    hits = _of_type(pii, text, kind)
    assert len(hits) == 1, [(d.type, d.score) for d in pii.detect(text)]
    assert text[hits[0].start:hits[0].end] == valid
    assert valid not in hits[0].text  # masked
    assert _of_type(pii, template.format(decoy), kind) == []


@pytest.mark.parametrize(("kind", "text"), [
    ("US_BANK_ROUTING", "invoice 011000015 paid"),      # needs routing wording
    ("US_PASSPORT", "order A12345678 shipped"),         # needs passport wording
    ("DATE_OF_BIRTH", "the meeting is on 1984-03-12"),  # needs birth wording
    ("MEDICAL", "the diabetes market grew in 2023"),    # needs a person and a diagnosis
])
def test_context_required_types_need_their_keywords(pii: PiiDetector, kind: str, text: str) -> None:
    assert _of_type(pii, text, kind) == []


def test_context_raises_the_score_and_is_explained(pii: PiiDetector) -> None:
    bare = _of_type(pii, "ref 4111 1111 1111 1111", "CREDIT_CARD")[0]
    worded = _of_type(pii, "my visa card 4111 1111 1111 1111", "CREDIT_CARD")[0]
    assert worded.score > bare.score
    assert worded.explanation["keywords"] and worded.explanation["checksum"] == "luhn"
    assert worded.explanation["confidence"] == "high"


def test_many_values_in_one_text_in_order(pii: PiiDetector) -> None:
    text = "mail a@contoso.com, card 4111111111111111, IBAN GB82WEST12345698765432, ip 10.0.0.1"
    assert [d.type for d in pii.detect(text)] == ["EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS"]


@pytest.mark.parametrize("text", ["", " ", "\x00" * 10, "a" * 100_000, "1" * 100_000, "4111 " * 20_000])
def test_odd_input_never_raises(pii: PiiDetector, text: str) -> None:
    assert isinstance(pii.detect(text), list)
