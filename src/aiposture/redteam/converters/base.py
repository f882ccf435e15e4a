"""The converter contract and chains.

A converter works on the user turns of an attack (a list, so that one converter
can split a payload across turns); most transform only the last turn, through
`encode` (the pure transformation, inverted by `decode` where possible, which the
tests round-trip) and `frame` (the words that ask the model to undo it). Chains
are written `base64+zerowidth` and apply left to right.
"""

from __future__ import annotations

import random
from functools import cache
from typing import Any, ClassVar

from aiposture.errors import InputError
from aiposture.shipped import load_data_yaml


@cache
def converter_data() -> dict[str, Any]:
    return load_data_yaml("redteam", "converters.yaml")


class Converter:
    name: ClassVar[str]
    description: ClassVar[str] = ""
    invertible: ClassVar[bool] = True
    multi_turn: ClassVar[bool] = False

    def apply(self, turns: list[str], rng: random.Random) -> list[str]:
        if not turns:
            return turns
        return [*turns[:-1], self.frame(self.encode(turns[-1], rng))]

    def encode(self, text: str, rng: random.Random) -> str:
        raise NotImplementedError

    def decode(self, text: str) -> str:
        """Undo `encode` (exact for invertible converters, best effort otherwise)."""
        raise NotImplementedError

    def frame(self, encoded: str) -> str:
        return encoded


def parse_chain(spec: str) -> list[str]:
    """`base64+zerowidth` -> ["base64", "zerowidth"]; empty or `none` -> []."""
    names = [part.strip() for part in spec.split("+")]
    if not spec.strip() or names == ["none"]:
        return []
    if any(not n for n in names):
        raise InputError(f"bad converter chain {spec!r}")
    return names


class Chain:
    """Converters applied in order; `name` is the spec, e.g. `base64+zerowidth`."""

    def __init__(self, converters: list[Converter]) -> None:
        self.converters = converters
        self.name = "+".join(c.name for c in converters) or "none"

    def apply(self, turns: list[str], rng: random.Random) -> list[str]:
        for converter in self.converters:
            turns = converter.apply(turns, rng)
        return turns
