"""The converter registry (explicit list + entry points `aiposture.redteam.converters`)
and building a chain from a spec like `base64+zerowidth`."""

from __future__ import annotations

from aiposture.redteam.converters.base import Chain, parse_chain
from aiposture.redteam.registry import Registry

CONVERTERS = Registry(
    "converters",
    [
        "aiposture.redteam.converters.encoding:Base64Converter",
        "aiposture.redteam.converters.encoding:HexConverter",
        "aiposture.redteam.converters.encoding:Rot13Converter",
        "aiposture.redteam.converters.obfuscation:LeetspeakConverter",
        "aiposture.redteam.converters.obfuscation:ConfusablesConverter",
        "aiposture.redteam.converters.obfuscation:ZeroWidthConverter",
        "aiposture.redteam.converters.obfuscation:CharSplitConverter",
        "aiposture.redteam.converters.structure:PayloadSplitConverter",
        "aiposture.redteam.converters.structure:LanguageSwitchConverter",
        "aiposture.redteam.converters.structure:HtmlSmugglingConverter",
        "aiposture.redteam.converters.structure:MarkdownSmugglingConverter",
    ],
)


def build_chain(spec: str) -> Chain:
    return Chain([CONVERTERS.get(name)() for name in parse_chain(spec)])
