"""Named validators that a pattern rule calls on a candidate value (Presidio's
`validate_result()` hook, as data): a rule names one in its YAML `checksum:` field.

Each function takes the matched text (with separators) and returns True when the
value is structurally valid. They run on short strings only (a regex match), never
on the scanned text as a whole, and never raise.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable
from datetime import date

Checksum = Callable[[str], bool]


def _digits(value: str) -> str:
    return "".join(ch for ch in value if "0" <= ch <= "9")


def _all_same(digits: str) -> bool:
    return len(set(digits)) <= 1


def luhn(value: str) -> bool:
    """Payment cards (ISO/IEC 7812): the Luhn mod-10 check."""
    digits = _digits(value)
    if not 12 <= len(digits) <= 19 or _all_same(digits):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# ISO 13616 lengths per country (the SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


def iban_mod97(value: str) -> bool:
    """IBAN (ISO 13616): the country's length, then mod-97 of the rearranged number == 1."""
    iban = "".join(ch for ch in value if ch.isalnum()).upper()
    if len(iban) < 15 or IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit():
        return False
    rearranged = iban[4:] + iban[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def aba_routing(value: str) -> bool:
    """US bank routing (ABA RTN): valid Federal Reserve prefix and the 3-7-1 checksum."""
    d = _digits(value)
    if len(d) != 9 or _all_same(d):
        return False
    prefix = int(d[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    n = [int(c) for c in d]
    total = 3 * (n[0] + n[3] + n[6]) + 7 * (n[1] + n[4] + n[7]) + (n[2] + n[5] + n[8])
    return total % 10 == 0


def uk_nhs(value: str) -> bool:
    """UK NHS number: mod-11 with weights 10..2; a check value of 10 is never issued."""
    d = _digits(value)
    if len(d) != 10 or _all_same(d):
        return False
    total = sum(int(c) * w for c, w in zip(d[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(d[9])


_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]


def verhoeff(value: str) -> bool:
    """The Verhoeff dihedral-group check (any length)."""
    d = _digits(value)
    if not d:
        return False
    c = 0
    for i, ch in enumerate(reversed(d)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][int(ch)]]
    return c == 0


def in_aadhaar(value: str) -> bool:
    """India Aadhaar: 12 digits, first digit 2-9, not a palindrome, Verhoeff check."""
    d = _digits(value)
    return len(d) == 12 and d[0] not in "01" and d != d[::-1] and verhoeff(d)


_SSN_PUBLICISED = {"078051120", "219099999", "123456789", "457555462"}


def us_ssn(value: str) -> bool:
    """US SSN: area not 000/666/900-999, group not 00, serial not 0000, no known samples."""
    d = _digits(value)
    if len(d) != 9 or _all_same(d) or d in _SSN_PUBLICISED:
        return False
    area, group, serial = int(d[:3]), d[3:5], d[5:]
    return area != 0 and area != 666 and area < 900 and group != "00" and serial != "0000"


def de_tax_id(value: str) -> bool:
    """German Steuerliche Identifikationsnummer: 11 digits, no leading 0, in the first ten
    exactly one digit repeated (2 or 3 times, never 3 in a row), ISO 7064 MOD 11,10 check."""
    d = _digits(value)
    if len(d) != 11 or d[0] == "0":
        return False
    body = d[:10]
    counts = {c: body.count(c) for c in set(body)}
    repeated = [c for c, n in counts.items() if n > 1]
    if len(repeated) != 1 or counts[repeated[0]] > 3:
        return False
    if counts[repeated[0]] == 3 and repeated[0] * 3 in body:
        return False
    product = 10
    for ch in body:
        total = (int(ch) + product) % 10 or 10
        product = (total * 2) % 11
    check = 11 - product
    if check == 10:
        check = 0
    return check == int(d[10])


def fr_insee(value: str) -> bool:
    """French NIR (INSEE): sex 1/2 (7/8 temporary), month 01-12 or 20-42/50+, key = 97 - n mod 97;
    Corsica's 2A/2B count as 19/18."""
    raw = "".join(ch for ch in value if ch.isalnum()).upper()
    if len(raw) != 15:
        return False
    body, key = raw[:13], raw[13:]
    if body[5:7] in ("2A", "2B"):
        body = body[:5] + ("19" if body[6] == "A" else "18") + body[7:]
    if not body.isdigit() or not key.isdigit() or body[0] not in "1278":
        return False
    month = int(body[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or month >= 50):
        return False
    return 97 - int(body) % 97 == int(key)


_NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def es_nif(value: str) -> bool:
    """Spanish DNI/NIF (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter): mod-23 letter."""
    raw = "".join(ch for ch in value if ch.isalnum()).upper()
    if len(raw) != 9:
        return False
    head, letter = raw[:8], raw[8]
    if head[0] in "XYZ":
        head = str("XYZ".index(head[0])) + head[1:]
    if not head.isdigit() or _all_same(head):
        return False
    return _NIF_LETTERS[int(head) % 23] == letter


_NINO_BAD_FIRST = set("DFIQUV")
_NINO_BAD_SECOND = set("DFIOQUV")
_NINO_BAD_PREFIX = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def uk_nino(value: str) -> bool:
    """UK National Insurance number: prefix letters per HMRC rules, six digits, suffix A-D."""
    raw = "".join(ch for ch in value if ch.isalnum()).upper()
    if len(raw) != 9 or not raw[2:8].isdigit() or raw[8] not in "ABCD":
        return False
    a, b = raw[0], raw[1]
    return (a.isalpha() and b.isalpha() and a not in _NINO_BAD_FIRST and b not in _NINO_BAD_SECOND
            and raw[:2] not in _NINO_BAD_PREFIX)


def ip_address(value: str) -> bool:
    """An IPv4 or IPv6 address as `ipaddress` parses it (v4 without leading zeros)."""
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def e164_length(value: str) -> bool:
    """A phone number has 7 to 15 digits (E.164) and is not one repeated digit."""
    d = _digits(value)
    return 7 <= len(d) <= 15 and len(set(d)) > 2


_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}


def calendar_date(value: str) -> bool:
    """A real calendar date in the past 130 years, in Y-M-D, D/M/Y, M/D/Y or D Mon Y order."""
    parts = [p for p in _split_date(value) if p]
    if len(parts) != 3:
        return False
    today = date.today()
    for y, m, d in _date_orders(parts):
        try:
            when = date(y, m, d)
        except (ValueError, TypeError):
            continue
        if today.year - 130 <= when.year and when <= today:
            return True
    return False


def _split_date(value: str) -> list[str]:
    out, cur = [], ""
    for ch in value.lower():
        if ch.isalnum():
            cur += ch
        else:
            out.append(cur)
            cur = ""
    out.append(cur)
    return out


def _date_orders(parts: list[str]) -> list[tuple[int, int, int]]:
    def num(p: str) -> int | None:
        if p[-2:] in ("st", "nd", "rd", "th") and p[:-2].isdigit():
            p = p[:-2]
        if p.isdigit():
            return int(p)
        return _MONTHS.get(p[:3])

    a, b, c = (num(p) for p in parts)
    if a is None or b is None or c is None:
        return []
    if len(parts[0]) == 4 and parts[0].isdigit():  # Y-M-D ("June" is four letters long too)
        return [(a, b, c)]
    if not parts[0][:1].isdigit():  # Month D, YYYY
        a, b = b, a
    if len(parts[2]) == 2:
        c += 1900 if c > today_two_digits() else 2000
    return [(c, b, a), (c, a, b)]


def today_two_digits() -> int:
    return date.today().year % 100


def jwt_header(value: str) -> bool:
    """A JWT whose first segment base64url-decodes to a JOSE header naming `alg`."""
    head = value.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
    except (binascii.Error, ValueError):
        return False
    return raw.lstrip().startswith(b"{") and b'"alg"' in raw


CHECKSUMS: dict[str, Checksum] = {
    "luhn": luhn,
    "iban_mod97": iban_mod97,
    "aba_routing": aba_routing,
    "uk_nhs": uk_nhs,
    "verhoeff": verhoeff,
    "in_aadhaar": in_aadhaar,
    "us_ssn": us_ssn,
    "de_tax_id": de_tax_id,
    "fr_insee": fr_insee,
    "es_nif": es_nif,
    "uk_nino": uk_nino,
    "ip_address": ip_address,
    "e164_length": e164_length,
    "calendar_date": calendar_date,
    "jwt_header": jwt_header,
}


def get_checksum(name: str) -> Checksum:
    """The validator registered under `name`; KeyError names the known ones."""
    try:
        return CHECKSUMS[name]
    except KeyError:
        raise KeyError(f"unknown checksum {name!r}; known: {', '.join(sorted(CHECKSUMS))}") from None
