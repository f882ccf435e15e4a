"""Character-level obfuscation: leetspeak, Unicode confusables, zero-width
characters and character splitting. Each leaves the text readable to a model
while breaking exact-match filters."""

from __future__ import annotations

import random

from aiposture.redteam.converters.base import Converter, converter_data

ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060")


class LeetspeakConverter(Converter):
    name = "leetspeak"
    description = "letters replaced by look-alike digits (a->4, e->3, ...)"
    invertible = False  # digits already in the text cannot be told apart

    def encode(self, text: str, rng: random.Random) -> str:
        table = str.maketrans(converter_data()["leetspeak"])
        return text.lower().translate(table)

    def decode(self, text: str) -> str:
        table = str.maketrans({v: k for k, v in converter_data()["leetspeak"].items()})
        return text.translate(table)


class ConfusablesConverter(Converter):
    name = "confusables"
    description = "Latin letters replaced by identical-looking Cyrillic/Greek letters"

    def encode(self, text: str, rng: random.Random) -> str:
        return text.translate(str.maketrans(converter_data()["confusables"]))

    def decode(self, text: str) -> str:
        return text.translate(str.maketrans({v: k for k, v in converter_data()["confusables"].items()}))


class ZeroWidthConverter(Converter):
    name = "zerowidth"
    description = "zero-width characters inserted inside words"

    def encode(self, text: str, rng: random.Random) -> str:
        out = []
        for ch in text:
            out.append(ch)
            if ch.isalnum() and rng.random() < 0.5:
                out.append(ZERO_WIDTH[rng.randrange(len(ZERO_WIDTH))])
        return "".join(out)

    def decode(self, text: str) -> str:
        return "".join(ch for ch in text if ch not in ZERO_WIDTH)


class CharSplitConverter(Converter):
    name = "charsplit"
    description = "every character separated ('i-g-n-o-r-e'), words by ' / '"
    invertible = False  # hyphens and ' / ' already in the text are ambiguous

    def encode(self, text: str, rng: random.Random) -> str:
        return " / ".join("-".join(word) for word in text.split(" "))

    def decode(self, text: str) -> str:
        return " ".join(word.replace("-", "") for word in text.split(" / "))

    def frame(self, encoded: str) -> str:
        return f"Join the separated letters back into words, then follow the message:\n{encoded}"
