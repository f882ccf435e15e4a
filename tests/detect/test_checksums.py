"""Each named checksum: valid values side by side with near-miss decoys."""

from __future__ import annotations

import pytest

from aiposture.detect.checksums import CHECKSUMS, get_checksum

CASES = [
    ("luhn", "4111 1111 1111 1111", "4111 1111 1111 1112"),
    ("luhn", "378282246310005", "378282246310006"),
    ("iban_mod97", "DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 01"),
    ("iban_mod97", "GB82WEST12345698765432", "GB82WEST1234569876543"),  # one character short for GB
    ("aba_routing", "011000015", "011000016"),
    ("aba_routing", "021000021", "991000021"),  # invalid Federal Reserve prefix
    ("uk_nhs", "943 476 5919", "943 476 5918"),
    ("verhoeff", "2363", "2364"),
    ("in_aadhaar", "2341 2341 2346", "1341 2341 2346"),
    ("us_ssn", "536-22-1234", "666-22-1234"),
    ("us_ssn", "536-22-1234", "536-00-1234"),
    ("us_ssn", "536-22-1234", "912-22-1234"),
    ("de_tax_id", "86095742719", "86095742718"),
    ("de_tax_id", "86095742719", "12345678901"),  # no repeated digit
    ("fr_insee", "1 84 12 76 451 089 46", "1 84 12 76 451 089 47"),
    ("fr_insee", "2 69 05 2A 123 456 88", "3 69 05 2A 123 456 88"),  # Corsica: 2A counts as 19
    ("es_nif", "12345678Z", "12345678A"),
    ("es_nif", "X1234567L", "X1234567A"),
    ("uk_nino", "AB 12 34 56 C", "GB 12 34 56 C"),
    ("uk_nino", "AB123456C", "DA123456C"),
    ("ip_address", "203.0.113.42", "256.1.1.1"),
    ("ip_address", "2001:db8::1", "12:30:45"),
    ("e164_length", "+44 20 7946 0958", "+1 111 111"),
    ("calendar_date", "1984-03-12", "1984-02-31"),
    ("calendar_date", "March 5, 1990", "Smarch 5, 1990"),
    ("calendar_date", "June 10, 1997", "June 31, 1997"),  # a four-letter month is not a year
    ("jwt_header", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "eyJ0aGlzIjoibm90In0.eyJhIjoiYiJ9.c2ln"),
]


@pytest.mark.parametrize(("name", "valid", "invalid"), CASES)
def test_valid_passes_and_decoy_fails(name: str, valid: str, invalid: str) -> None:
    check = get_checksum(name)
    assert check(valid) is True
    assert check(invalid) is False


def test_every_checksum_has_a_case() -> None:
    assert {c[0] for c in CASES} == set(CHECKSUMS)


@pytest.mark.parametrize("name", sorted(CHECKSUMS))
@pytest.mark.parametrize("junk", ["", " ", "abc", "\x00\x00", "9" * 500, "٣٤٥"])
def test_checksums_never_raise(name: str, junk: str) -> None:
    assert get_checksum(name)(junk) in (True, False)


def test_unknown_checksum_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="luhn"):
        get_checksum("nope")
