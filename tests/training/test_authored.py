"""Authored training text: the canary-code variants added to it, and that they leave the
rest of the authored corpus as it was."""

from __future__ import annotations

import codecs
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training"))

import authored  # noqa: E402

CODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2,4}-\d{3,5}(?!\d)")


def test_canary_attacks_reuse_their_templates_group_so_the_split_keeps_them_together():
    canary = authored.canary_samples()
    attacks = [s for s in canary if s.label == 1]
    assert len(attacks) == sum(len(authored.ATTACKS[lang]) for lang in authored.LANGS)
    plain_groups = {s.group for s in authored.authored_samples() if s.source == "authored-attack"
                    and not CODE.search(s.text)}
    assert {s.group for s in attacks} <= plain_groups
    assert all(s.category == "direct_injection" for s in attacks)


def test_every_canary_text_carries_a_filled_code_in_every_language():
    canary = authored.canary_samples()
    assert {s.lang for s in canary if s.label == 0} == set(authored.LANGS)
    assert {s.lang for s in canary if s.label == 1} == set(authored.LANGS)
    for sample in canary:
        assert "{" not in sample.text, sample.text
        assert CODE.search(sample.text), sample.text
    codes = {CODE.search(s.text).group(0) for s in canary}
    assert len(codes) > 0.9 * len(canary)  # random references, not one memorisable string


def test_benign_canary_requests_have_their_own_groups():
    benign = [s for s in authored.canary_samples() if s.label == 0]
    assert benign and all(s.group.startswith("auth-benign-canary:") for s in benign)
    assert all(s.source == "authored-benign" and s.category == "benign" for s in benign)


def test_canary_variants_are_appended_without_changing_the_other_authored_samples():
    everything = authored.authored_samples()
    canary = authored.canary_samples(1235)
    assert [s.text for s in everything[-len(canary):]] == [s.text for s in canary]
    again = authored.authored_samples()
    assert [s.text for s in again] == [s.text for s in everything]  # fixed seed: reproducible


def test_benign_prompts_get_the_same_obfuscations_as_the_attacks_of_their_language():
    """Otherwise leetspeak in French is an attack by construction and the model learns the
    obfuscation, not the instruction."""
    kinds: dict[tuple[str, int], set[str]] = {}
    for s in authored.authored_samples():
        if s.source in ("authored-obfuscated", "authored-obfuscated-benign"):
            kinds.setdefault((s.lang, s.label), set()).add(s.category.split("_", 1)[1])
    for lang in authored.LANGS:
        attack, benign = kinds[(lang, 1)], kinds[(lang, 0)]
        assert attack - {"tags"} == benign - {"tags"}, lang  # tags carry ASCII text only
    assert {"leet", "confusable", "split", "rot13"} <= kinds[("fr", 0)]
    assert "leet" not in kinds[("zh", 0)] and "leet" not in kinds[("zh", 1)]


def test_obfuscated_benign_text_decodes_to_a_benign_template_not_an_attack():
    benign = [s for s in authored.authored_samples() if s.source == "authored-obfuscated-benign"]
    assert all(s.label == 0 and s.group.startswith("auth-benign:") for s in benign)
    rot = next(s for s in benign if s.category == "benign_rot13" and s.lang == "de")
    assert codecs.decode(rot.text.removeprefix("rot13: "), "rot13") in {
        t.replace("{t}", topic) for t in authored.BENIGN["de"] for topic in authored.TOPICS["de"]}
