"""Generate the DLP benchmark corpus (runs in benchmarks/.venv-presidio, which has Faker).

For every type: sentences holding a valid value (Faker where Faker's values are
checksum-valid, else a generator below written from the public specification) and
the same templates holding a decoy — a value that fails the type's checksum or format
(or, for the context-dependent types DATE_OF_BIRTH and MEDICAL, the value without the
context that makes it personal data). Templates: presidio-evaluator 0.3.2's
`templates.txt` (MIT) where it has them for the type, read from the wheel with
zipfile; our own otherwise.

Output: one JSON object per line: {"id", "type", "kind": "valid"|"decoy", "text",
"entities": [{"type", "start", "end"}]}.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
import zipfile
from datetime import date, timedelta
from pathlib import Path

from faker import Faker

TEMPLATE_KEYS = {  # presidio-evaluator placeholder -> our type
    "credit_card_number": "CREDIT_CARD", "phone_number": "PHONE_NUMBER", "email": "EMAIL_ADDRESS",
    "iban": "IBAN_CODE", "date_of_birth": "DATE_OF_BIRTH", "ip_address": "IP_ADDRESS", "ssn": "US_SSN",
}

OWN_TEMPLATES = {
    "EMAIL_ADDRESS": ["Forward the contract to {} before Friday.", "Reply-To: {}"],
    "PHONE_NUMBER": ["Call me back on {} after 5pm.", "Mobile: {}"],
    "CREDIT_CARD": ["Charge the deposit to card {} please.", "Payment card: {} (exp 09/28)"],
    "IBAN_CODE": ["Please wire the refund to IBAN {} today.", "Bank account (IBAN): {}"],
    "US_SSN": ["Employee SSN {} is on file.", "social security no. {}"],
    "US_BANK_ROUTING": ["Our bank routing number is {} for ACH transfers.", "ABA routing: {}"],
    "US_PASSPORT": ["My US passport number is {}, expiring 2031.", "Passport no. {}"],
    "UK_NINO": ["My National Insurance number is {}.", "NI number: {}"],
    "UK_NHS": ["Patient NHS number {} was admitted on Monday.", "NHS no: {}"],
    "DE_TAX_ID": ["Meine Steuer-ID ist {}.", "Steueridentifikationsnummer: {}"],
    "FR_INSEE": ["Mon numéro de sécurité sociale est {}.", "N° INSEE : {}"],
    "ES_NIF": ["Mi DNI es {}.", "NIF del cliente: {}"],
    "IN_AADHAAR": ["My Aadhaar number is {}.", "Aadhaar: {}"],
    "IP_ADDRESS": ["Failed login from {} at 02:14.", "The server address is {}."],
    "MAC_ADDRESS": ["The laptop's MAC address is {}.", "Device MAC: {}"],
    "DATE_OF_BIRTH": ["Date of birth: {}", "He was born on {} in Leeds."],
    "MEDICAL": ["The patient was diagnosed with {} last year.", "She is being treated for {}."],
}
DECOY_TEMPLATES = {  # context-dependent types: the same value, no personal context
    "DATE_OF_BIRTH": ["The invoice is dated {}.", "Release scheduled for {}."],
    "MEDICAL": ["A conference on {} research opens in May.", "The {} drug market grew 4% in 2023."],
}
# Left out: nothing in this sentence says the date is a birth date (presidio-evaluator
# fills it with a date of birth; no detector, presidio's included, can know).
UNMARKED = {"It's like that since {{date_of_birth}}"}
MEDICAL_TERMS = ["diabetes", "asthma", "epilepsy", "HIV", "hepatitis C", "depression", "schizophrenia",
                 "breast cancer", "leukemia", "multiple sclerosis", "Crohn's disease", "hypertension"]


def presidio_templates(wheel: Path | None) -> dict[str, list[str]]:
    if wheel is None or not wheel.exists():
        return {}
    with zipfile.ZipFile(wheel) as z:
        text = z.read("presidio_evaluator/data_generator/raw_data/templates.txt").decode("utf-8", "replace")
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        keys = re.findall(r"\{\{(\w+)\}\}", line)
        typed = [k for k in keys if k in TEMPLATE_KEYS]
        if len(typed) == 1 and "\\n" not in line and line not in UNMARKED:  # one slot, one line
            out.setdefault(TEMPLATE_KEYS[typed[0]], []).append(line)
    return out


# -- value generators written from the public specifications (independent of aiposture) --

def luhn_ok(d: str) -> bool:
    s = 0
    for i, ch in enumerate(reversed(d)):
        n = int(ch) * (2 if i % 2 else 1)
        s += n - 9 if n > 9 else n
    return s % 10 == 0


def nhs(r: random.Random) -> str:
    while True:
        body = [r.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            d = "".join(map(str, body)) + str(check)
            return f"{d[:3]} {d[3:6]} {d[6:]}"


_VD = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
       [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
       [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
       [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
_VP = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
       [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
       [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]
_VINV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def aadhaar(r: random.Random) -> str:
    while True:
        body = str(r.randint(2, 9)) + "".join(str(r.randint(0, 9)) for _ in range(10))
        c = 0
        for i, ch in enumerate(reversed(body)):
            c = _VD[c][_VP[(i + 1) % 8][int(ch)]]
        d = body + str(_VINV[c])
        if d != d[::-1]:
            return f"{d[:4]} {d[4:8]} {d[8:]}" if r.random() < 0.6 else d


def de_tax_id(r: random.Random) -> str:
    while True:
        digits = r.sample("0123456789", 9)
        if digits[0] == "0":
            continue
        rep = r.choice(digits)
        pos = r.randint(1, 9)
        body = digits[:pos] + [rep] + digits[pos:]
        body = "".join(body)[:10]
        counts = {c: body.count(c) for c in set(body)}
        if sorted(counts.values())[-1] != 2 or list(counts.values()).count(2) != 1:
            continue
        product = 10
        for ch in body:
            s = (int(ch) + product) % 10 or 10
            product = (s * 2) % 11
        check = (11 - product) % 10
        d = body + str(check)
        return f"{d[:2]} {d[2:5]} {d[5:8]} {d[8:]}" if r.random() < 0.5 else d


def nino(r: random.Random) -> str:
    first = "ABCEGHJKLMNOPRSTWXYZ"
    second = "ABCEGHJKLMNPRSTWXYZ"
    while True:
        prefix = r.choice(first) + r.choice(second)
        if prefix not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
            break
    digits = "".join(str(r.randint(0, 9)) for _ in range(6))
    suffix = r.choice("ABCD")
    return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}" if r.random() < 0.5 \
        else prefix + digits + suffix


def change_last_digit(value: str, r: random.Random) -> str:
    idx = max(i for i, ch in enumerate(value) if ch.isdigit())
    new = str((int(value[idx]) + r.randint(1, 9)) % 10)
    return value[:idx] + new + value[idx + 1:]


def bad_iban(value: str) -> str:
    check = (int(value[2:4]) + 1) % 100
    return value[:2] + f"{check:02d}" + value[4:]


def bad_ssn(r: random.Random) -> str:
    area = r.choice(["000", "666", str(r.randint(900, 999))])
    if r.random() < 0.3:
        return f"{r.randint(100, 665)}-00-{r.randint(1000, 9999)}"
    return f"{area}-{r.randint(10, 99)}-{r.randint(1000, 9999)}"


def bad_nino(r: random.Random) -> str:
    prefix = r.choice(["GB", "BG", "NK", "TN", "ZZ", "DA", "QQ", "FA"])
    digits = "".join(str(r.randint(0, 9)) for _ in range(6))
    return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {r.choice('ABCD')}"


def bad_nif(value: str, r: random.Random) -> str:
    return value[:-1] + r.choice([c for c in "TRWAGMYFPDXBNJZSQVHLCKE" if c != value[-1]])


def bad_insee(value: str) -> str:
    key = (int(value[-2:]) + 1) % 100
    return value[:-2] + f"{key:02d}"


def dob(r: random.Random, valid: bool) -> str:
    if valid:
        when = date(1940, 1, 1) + timedelta(days=r.randint(0, 365 * 65))
        return r.choice([when.isoformat(), when.strftime("%d/%m/%Y"), when.strftime("%B %d, %Y"),
                         when.strftime("%d %b %Y"), when.strftime("%m/%d/%Y")])
    year = r.randint(1940, 2004)
    return r.choice([f"{year}-02-30", f"31/04/{year}", f"{year}-13-01", f"February 31, {year}"])


def generators(r: random.Random) -> dict:
    fk = {loc: Faker(loc) for loc in ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "nl_NL", "it_IT"]}
    for i, f in enumerate(fk.values()):
        f.seed_instance(1000 + i)

    def any_fk():
        return fk[r.choice(list(fk))]

    def bad_email():
        user = fk["en_US"].user_name()
        return r.choice([f"{user}@localhost", f"{user}(at)example.com", f"@{user}", f"{user}@example"])

    def bad_phone():
        return r.choice([f"+{r.randint(1, 99)} {r.randint(10, 99)}", f"555-{r.randint(10, 99)}",
                         f"+1 {r.choice('123456789') * 3} {r.choice('123456789') * 4}"[:9]])

    return {
        "EMAIL_ADDRESS": (lambda: any_fk().email(), bad_email),
        "PHONE_NUMBER": (lambda: r.choice([fk["en_US"], fk["en_GB"], fk["de_DE"], fk["fr_FR"],
                                           fk["es_ES"]]).phone_number(), bad_phone),
        "CREDIT_CARD": (lambda: fk["en_US"].credit_card_number(), None),
        "IBAN_CODE": (lambda: any_fk().iban(), None),
        "US_SSN": (lambda: fk["en_US"].ssn(), lambda: bad_ssn(r)),
        "US_BANK_ROUTING": (lambda: fk["en_US"].aba(), None),
        "US_PASSPORT": (lambda: fk["en_US"].passport_number(),
                        lambda: f"{r.choice(string.ascii_uppercase)}{r.randint(100000, 999999)}"),
        "UK_NINO": (lambda: nino(r), lambda: bad_nino(r)),
        "UK_NHS": (lambda: nhs(r), None),
        "DE_TAX_ID": (lambda: de_tax_id(r), None),
        "FR_INSEE": (lambda: fk["fr_FR"].ssn(), None),
        "ES_NIF": (lambda: r.choice([fk["es_ES"].nif, fk["es_ES"].nie])(), None),
        "IN_AADHAAR": (lambda: aadhaar(r), None),
        "IP_ADDRESS": (lambda: r.choice([fk["en_US"].ipv4, fk["en_US"].ipv6])(),
                       lambda: ".".join([str(r.randint(256, 999))]
                                        + [str(r.randint(0, 255)) for _ in "abc"])),
        "MAC_ADDRESS": (lambda: fk["en_US"].mac_address(),
                        lambda: ":".join(f"{r.randint(0, 255):02x}" for _ in range(5))),
        "DATE_OF_BIRTH": (lambda: dob(r, True), lambda: dob(r, False)),
        "MEDICAL": (lambda: r.choice(MEDICAL_TERMS), lambda: r.choice(MEDICAL_TERMS)),
    }


def decoy_of(kind: str, value: str, r: random.Random, gen) -> str:
    if gen is not None:
        return gen()
    if kind == "IBAN_CODE":
        return bad_iban(value)
    if kind == "ES_NIF":
        return bad_nif(value, r)
    if kind == "FR_INSEE":
        return bad_insee(value)
    return change_last_digit(value, r)  # Luhn, ABA, NHS mod 11, DE tax id, Verhoeff: all fail


def fill(template: str, value: str, fk: Faker) -> tuple[str, int]:
    """Put `value` in the typed slot; other presidio-evaluator slots get Faker values."""
    out, start = "", -1
    pos = 0
    for m in re.finditer(r"\{\{(\w+)\}\}|\{\}", template):
        out += template[pos:m.start()]
        key = m.group(1)
        if key is None or key in TEMPLATE_KEYS:
            start = len(out)
            out += value
        else:
            out += str(getattr(fk, key, lambda: "Alex")()) if hasattr(fk, key) else "Alex"
        pos = m.end()
    return out + template[pos:], start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--n", type=int, default=200, help="valid and decoy sentences per type")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--templates-wheel", type=Path, default=None)
    args = ap.parse_args()
    r = random.Random(args.seed)
    Faker.seed(args.seed)
    fk = Faker("en_US")
    gens = generators(r)
    shared = presidio_templates(args.templates_wheel)
    rows = []
    for kind, (valid_gen, decoy_gen) in gens.items():
        templates = shared.get(kind, []) + OWN_TEMPLATES[kind]
        for i in range(args.n):
            value = valid_gen()
            for label, val, pool in (("valid", value, templates),
                                     ("decoy", decoy_of(kind, value, r, decoy_gen),
                                      DECOY_TEMPLATES.get(kind, templates))):
                text, start = fill(r.choice(pool), val, fk)
                ents = [{"type": kind, "start": start, "end": start + len(val)}] if label == "valid" else []
                rows.append({"id": f"{kind}-{label}-{i}", "type": kind, "kind": label, "text": text,
                             "entities": ents})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} sentences, {len(gens)} types, templates from presidio-evaluator: "
          f"{sorted(shared)}")


if __name__ == "__main__":
    main()
