"""Masking secrets inside tool arguments before a person sees them or they are stored:
values under secret-sounding keys are masked whole (`[masked]`), and any credential the
secrets detector finds inside a string is replaced in place by its type
(`[masked GITHUB_TOKEN]`).

The mask is fixed, not `aiposture.model.mask_secret`'s prefix and length: approvals
are shown to reviewers and anyone with the approvals API or CLI, and a prefix plus a
length narrows a short password or PIN to a handful of guesses."""

from __future__ import annotations

from typing import Any

import re2

from aiposture.detect.secrets import find_secrets

_SECRET_KEY = re2.compile(r"(?i)(pass(word|wd)?|secret|token|api[_-]?key|credential|private[_-]?key|auth)")
MAX_DEPTH = 32
MASK = "[masked]"


def _mask_text(text: str) -> str:
    hits = find_secrets(text)
    if not hits:
        return text
    out, last = [], 0
    for hit in sorted(hits, key=lambda d: d.start):
        if hit.start < last:
            continue
        out += [text[last:hit.start], f"[masked {hit.type}]"]
        last = hit.end
    out.append(text[last:])
    return "".join(out)


def _mask(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        return "[too deep]"
    if isinstance(value, dict):
        return {str(k): (_mask_whole(v) if _SECRET_KEY.search(str(k)) else _mask(v, depth + 1))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, depth + 1) for v in value]
    if isinstance(value, str):
        return _mask_text(value)
    return value


def _mask_whole(value: Any) -> Any:
    if isinstance(value, str | dict | list):
        return MASK
    return value


def mask_arguments(arguments: dict) -> dict:
    return _mask(arguments, 0)
