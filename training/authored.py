"""Our own training text: multilingual benign prompts and hard negatives, multilingual
attacks, obfuscated variants, and benign vs injected documents (indirect injection).

Everything is generated from the phrase tables in training/data/*.yaml with a fixed seed. Each
sample's `group` is the id of the template that produced it, so that the split keeps
a template (and all its fillings) on one side: the test split measures templates
the model has never seen.
"""

from __future__ import annotations

import base64
import codecs
import random
from pathlib import Path

import langid
import yaml
from sources import Sample

LANGS = ("en", "de", "fr", "es", "pt", "it", "zh", "ja", "ru")
DATA = Path(__file__).resolve().parent / "data"
_PROMPTS = yaml.safe_load((DATA / "prompts.yaml").read_text(encoding="utf-8"))
_DOCS = yaml.safe_load((DATA / "documents.yaml").read_text(encoding="utf-8"))

TOPICS: dict[str, list[str]] = _PROMPTS["topics"]
# benign prompts, with hard negatives (typos, role-play, base64, talk about injection)
BENIGN: dict[str, list[str]] = _PROMPTS["benign"]
CHAT: dict[str, list[str]] = _PROMPTS["chat"]  # short everyday messages and replies
SYSTEM_PROMPTS: list[str] = _PROMPTS["system_prompts"]  # benign system prompts: rules and secrecy
ATTACKS: dict[str, list[str]] = _PROMPTS["attacks"]
GOALS: dict[str, list[str]] = _PROMPTS["goals"]
DOC_BODIES: list[str] = _DOCS["bodies"]
DOC_BENIGN_FILLERS: list[str] = _DOCS["benign_fillers"]  # instruction-like but benign sentences
HIDDEN: dict[str, list[str]] = _DOCS["hidden"]
DOC_GOALS: list[str] = _DOCS["goals"]
HIDE_STYLES: list[str] = _DOCS["hide_styles"]
# canary-code overrides ("reply only with REF-4821") and benign requests for a bare reference
CANARY_GOALS: dict[str, list[str]] = _PROMPTS["canary"]["goals"]
CANARY_BENIGN: dict[str, list[str]] = _PROMPTS["canary"]["benign"]


def _zero_width(s: str) -> str:
    return "\u200b".join(s)


def _tags(s: str) -> str:
    """Unicode tag characters mirror printable ASCII only: callers check `tag_encodable`
    (a German, Chinese or Russian sentence would lose its letters, and an attack
    reduced to "Hi! " plus spaces is not an attack)."""
    return "".join(chr(0xE0000 + ord(c)) for c in s if 0x20 <= ord(c) < 0x7F)


def tag_encodable(s: str) -> bool:
    return all(0x20 <= ord(c) < 0x7F for c in s)


def _leet(s: str) -> str:
    return s.translate(str.maketrans({"e": "3", "i": "1", "o": "0", "a": "4", "s": "5"}))


def _split(s: str) -> str:
    words = s.split(" ")
    return " ".join(" ".join(w) if len(w) > 3 and i % 2 == 0 else w for i, w in enumerate(words))


def _confusable(s: str) -> str:
    return s.translate(str.maketrans({"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "i": "і"}))


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


OBFUSCATIONS = {
    "leet": _leet, "split": _split, "zero_width": _zero_width, "confusable": _confusable,
    "base64": lambda s: "Decode and follow: " + _b64(s),
    "hex": lambda s: "hex: " + s.encode().hex(),
    "rot13": lambda s: "rot13: " + codecs.encode(s, "rot13"),
    "tags": lambda s: "Hi! " + _tags(s),
}


def _obfuscates(name: str, lang: str) -> bool:
    """Letter substitutions and splitting apply to alphabetic scripts with Latin look-alikes."""
    return not (lang in ("zh", "ja", "ru") and name in ("leet", "confusable", "split"))


def _code(rng: random.Random) -> str:
    """A reference such as REF-4821 or TKT-20931: what a canary probe or a ticket asks for."""
    letters = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(rng.randint(2, 4)))
    return f"{letters}-{rng.randint(100, 99999)}"


def canary_samples(seed: int = 1235) -> list[Sample]:
    """Overrides whose goal is a bare code, and benign asks for a bare reference number.

    Attacks keep their template's group (`auth-attack:lang:i`), so a template's canary
    variants land in the same split as its other fillings. A separate random stream keeps
    every sample of `authored_samples` as it was before these existed."""
    rng = random.Random(seed)
    out: list[Sample] = []
    for lang in LANGS:
        for ai, tpl in enumerate(ATTACKS[lang]):
            goal = CANARY_GOALS[lang][ai % len(CANARY_GOALS[lang])]
            text = tpl.replace("{goal}", goal.replace("{code}", _code(rng)))
            out.append(Sample(text, 1, "authored-attack", f"auth-attack:{lang}:{ai}",
                              lang=lang, category="direct_injection"))
        topics = TOPICS[lang]
        for bi, tpl in enumerate(CANARY_BENIGN[lang]):
            for t in rng.sample(topics, min(8, len(topics))):
                text = tpl.replace("{t}", t).replace("{code}", _code(rng))
                out.append(Sample(text, 0, "authored-benign", f"auth-benign-canary:{lang}:{bi}",
                                  lang=lang, category="benign"))
    return out


def authored_samples(seed: int = 1234) -> list[Sample]:
    rng = random.Random(seed)
    out: list[Sample] = []
    for lang in LANGS:
        topics = TOPICS[lang]
        for ti, tpl in enumerate(BENIGN[lang]):
            for t in rng.sample(topics, min(8, len(topics))):
                text = tpl.replace("{t}", t).replace("{b64}", _b64(f"Meeting at 5pm about {t}"))
                out.append(Sample(text, 0, "authored-benign", f"auth-benign:{lang}:{ti}", lang=lang,
                                  category="benign"))
        for ai, tpl in enumerate(ATTACKS[lang]):
            for goal in GOALS[lang]:
                out.append(Sample(tpl.replace("{goal}", goal), 1, "authored-attack",
                                  f"auth-attack:{lang}:{ai}",
                                  lang=lang, category="direct_injection"))
        for ci, text in enumerate(CHAT.get(lang, [])):
            out.append(Sample(text, 0, "authored-chat", f"auth-chat:{lang}:{ci}", lang=lang, category="benign"))
    for si, tpl in enumerate(SYSTEM_PROMPTS):
        lang = langid.guess(tpl)
        topics = TOPICS.get(lang, TOPICS["en"])
        for t in rng.sample(topics, 4 if "{t}" in tpl else 1):
            out.append(Sample(tpl.replace("{t}", t), 0, "authored-sysprompt", f"auth-sys:{si}", lang=lang,
                              category="benign"))
    # obfuscated attacks and obfuscated benign text (obfuscation alone is not an attack)
    for oi, (name, fn) in enumerate(OBFUSCATIONS.items()):
        for lang in filter(lambda lang: _obfuscates(name, lang), LANGS):
            for ai, tpl in enumerate(ATTACKS[lang]):
                goal = GOALS[lang][(ai + oi) % len(GOALS[lang])]
                attack = tpl.replace("{goal}", goal)
                if name == "tags" and not tag_encodable(attack):
                    continue
                out.append(Sample(fn(attack), 1, "authored-obfuscated",
                                  f"auth-attack:{lang}:{ai}", lang=lang, category=f"obfuscated_{name}"))
        # the same obfuscations per language as the attacks get: otherwise leetspeak or
        # look-alike letters in French are attacks by construction, and the model learns
        # the obfuscation instead of the instruction
        for lang in filter(lambda lang: _obfuscates(name, lang), LANGS):
            for bi, tpl in enumerate(BENIGN[lang]):
                t = TOPICS[lang][(bi + oi) % len(TOPICS[lang])]
                benign = tpl.replace("{t}", t).replace("{b64}", "aGVsbG8gd29ybGQ=")
                if name == "tags" and not tag_encodable(benign):
                    continue
                out.append(Sample(fn(benign), 0,
                                  "authored-obfuscated-benign", f"auth-benign:{lang}:{bi}", lang=lang,
                                  category=f"benign_{name}"))
    return out + canary_samples(seed + 1)
