"""Decoders for text hidden in encodings: base64, hex and ``\\xNN``, HTML numeric
entities, code-point escapes (``\\u0049``, ``U+0049``) and percent-encoding.

`DECODERS` lists (layer kind, RE2 pattern over UTF-8 bytes, decode function); the
normaliser (`normalize._decode_layers`) finds each pattern's runs, decodes them, and keeps
a decoded run as a layer only when it reads as text (`looks_like_words`). Every pattern
matches ASCII only, so a run's bytes are its characters. Written by hand because each is
a few lines around the standard library (`base64`, `bytes.fromhex`, `html.unescape`,
`urllib.parse.unquote`); what needs care is deciding what counts as text.
"""

from __future__ import annotations

import base64
import binascii
import html
import urllib.parse

import re2

_BASE64_RE = re2.compile(r"(?:[A-Za-z0-9+/]{4}){4,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?|"
                         r"(?:[A-Za-z0-9_\-]{4}){5,}")
_HEX_RE = re2.compile(r"\b(?:[0-9a-fA-F]{2}[ :]?){10,}\b|(?:\\x[0-9a-fA-F]{2}){6,}")
_BASE64_BYTES_RE = re2.compile(_BASE64_RE.pattern.encode("utf-8"))
_HEX_BYTES_RE = re2.compile(_HEX_RE.pattern.encode("utf-8"))
# runs of at least four escaped characters: shorter runs are ordinary markup (&#169;)
_ENTITY_RE = re2.compile(r"(?:&#(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6});[ ]?){4,}")
_CODEPOINT_RE = re2.compile(r"(?:(?:\\[uU]\{?|[uU]\+)[0-9a-fA-F]{4,6}\}?[ ,]{0,2}){4,}")
_CODEPOINT_ONE_RE = re2.compile(r"(?:\\[uU]\{?|[uU]\+)([0-9a-fA-F]{4,6})")
_PERCENT_RE = re2.compile(r"(?:%[0-9a-fA-F]{2}){4,}(?:[A-Za-z0-9._~+-]{0,8}(?:%[0-9a-fA-F]{2})+)*")
_ENTITY_BYTES_RE = re2.compile(_ENTITY_RE.pattern.encode("utf-8"))
_CODEPOINT_BYTES_RE = re2.compile(_CODEPOINT_RE.pattern.encode("utf-8"))
_PERCENT_BYTES_RE = re2.compile(_PERCENT_RE.pattern.encode("utf-8"))
_HEX_STRIP_RE = re2.compile(r"[^0-9a-fA-F]|\\x")
_ALPHA_RE = re2.compile(r"[A-Za-z]")


def printable_ratio(s: str) -> float:
    if not s:
        return 0.0
    good = sum(1 for c in s if c.isprintable() or c in "\n\r\t")
    return good / len(s)


def looks_like_words(s: str) -> bool:
    """Decoded bytes count as text only if they read like words, not noise."""
    if len(s) < 6 or printable_ratio(s) < 0.9:
        return False
    letters = sum(1 for c in s if c.isalpha())
    spaces = s.count(" ")
    return letters >= 0.5 * len(s) and (spaces >= 1 or len(s) < 24)


def _try_base64(seg: str) -> str | None:
    if not _ALPHA_RE.search(seg) or seg.isalpha() and seg.islower():
        return None
    padded = seg + "=" * (-len(seg) % 4)
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            raw = decoder(padded)
        except (binascii.Error, ValueError):
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if looks_like_words(text):
            return text
    return None


def _try_hex(seg: str) -> str | None:
    digits = _HEX_STRIP_RE.sub("", seg)
    if len(digits) % 2:
        digits = digits[:-1]
    try:
        text = bytes.fromhex(digits).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return text if looks_like_words(text) else None


def _try_entities(seg: str) -> str | None:
    text = html.unescape(seg)
    return text if text != seg and looks_like_words(text) else None


def _try_codepoints(seg: str) -> str | None:
    """Escapes written back to back spell a word and a separator between them is a space
    (``\\u0068\\u0069 \\u0079\\u006f``); escapes all separated by one space or comma use a
    wider gap for a space (``U+0068 U+0069  U+0079``)."""
    found = [(m.group(1), m.end()) for m in _CODEPOINT_ONE_RE.finditer(seg)]
    gaps = [len(seg[end:nxt_start].strip("}")) for (_, end), nxt_start in
            zip(found, [m.start() for m in _CODEPOINT_ONE_RE.finditer(seg)][1:] + [len(seg)], strict=True)]
    spaced_words = min(gaps[:-1], default=0) > 0
    chars = []
    for (digits, _), gap in zip(found, gaps, strict=True):
        cp = int(digits, 16)
        if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
            return None
        chars.append(chr(cp))
        if gap >= (2 if spaced_words else 1):
            chars.append(" ")
    text = "".join(chars).strip()
    return text if looks_like_words(text) else None


def _try_percent(seg: str) -> str | None:
    text = urllib.parse.unquote(seg, errors="strict") if seg.isascii() else None
    return text if text and looks_like_words(text) else None


DECODERS = (("base64", _BASE64_BYTES_RE, _try_base64), ("hex", _HEX_BYTES_RE, _try_hex),
             ("html-entities", _ENTITY_BYTES_RE, _try_entities),
             ("codepoints", _CODEPOINT_BYTES_RE, _try_codepoints),
             ("percent", _PERCENT_BYTES_RE, _try_percent))
