"""safetensors: an 8-byte little-endian header length, a JSON header, the data.
Only the header is read; it is checked the way the reference loader checks it
(size bound, JSON object, known dtypes, shape × dtype = byte length, offsets inside
the data and contiguous), plus duplicate keys, which JSON parsers resolve
differently."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

from aiposture.discover.models.results import Blob, ScanContext
from aiposture.discover.models.stream import ByteReader

# bits per element
DTYPE_BITS = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "F64": 64,
    "I64": 64,
    "U64": 64,
    "C64": 64,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
}


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def scan_safetensors(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
    head = reader.read(8)
    if len(head) < 8:
        ctx.issue("AIP-MODEL-006", "safetensors: file shorter than its length prefix", 0, where=where)
        return
    (n,) = struct.unpack("<Q", head)
    if n > ctx.options.max_header:
        ctx.issue(
            "AIP-MODEL-020",
            f"safetensors: header of {n} bytes exceeds {ctx.options.max_header}",
            0,
            where=where,
        )
        return
    if 8 + n > blob.size:
        ctx.issue("AIP-MODEL-020", f"safetensors: header of {n} bytes runs past the end of the file", 0, where=where)
        return
    raw = reader.read(n)
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except _Duplicate as exc:
        ctx.issue("AIP-MODEL-020", f"safetensors: key {exc} appears twice in the header", 8, where=where)
        return
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        ctx.issue("AIP-MODEL-006", f"safetensors: header is not valid JSON ({exc})", 8, where=where)
        return
    if not isinstance(header, dict):
        ctx.issue("AIP-MODEL-006", "safetensors: header is not a JSON object", 8, where=where)
        return
    _check_tensors(ctx, header, blob.size - 8 - n, where)


def _check_tensors(ctx: ScanContext, header: dict[str, Any], data_size: int, where: str) -> None:
    meta = header.pop("__metadata__", None)
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        ctx.issue("AIP-MODEL-006", "safetensors: __metadata__ must map strings to strings", 8, where=where)
    spans: list[tuple[int, int, str]] = []
    for name, info in header.items():
        span = _tensor_span(ctx, name, info, data_size, where)
        if span is not None:
            spans.append(span)
    spans.sort()
    position = 0
    for begin, end, name in spans:
        if begin < position:
            ctx.issue("AIP-MODEL-020", f"safetensors: tensor {name!r} overlaps the previous tensor", where=where)
        elif begin > position:
            ctx.issue(
                "AIP-MODEL-020",
                f"safetensors: {begin - position} unaccounted bytes before tensor {name!r}",
                where=where,
            )
        position = max(position, end)
    if spans and position != data_size:
        ctx.issue("AIP-MODEL-020", f"safetensors: {data_size - position} bytes after the last tensor", where=where)


def _tensor_span(ctx: ScanContext, name: str, info: Any, data_size: int, where: str) -> tuple[int, int, str] | None:
    if not isinstance(info, dict) or set(info) - {"dtype", "shape", "data_offsets"}:
        ctx.issue("AIP-MODEL-006", f"safetensors: tensor {name!r} entry is malformed", where=where)
        return None
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if dtype not in DTYPE_BITS:
        ctx.issue("AIP-MODEL-006", f"safetensors: tensor {name!r} has unknown dtype {dtype!r}", where=where)
        return None
    if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
        ctx.issue("AIP-MODEL-006", f"safetensors: tensor {name!r} has an invalid shape", where=where)
        return None
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
        ctx.issue("AIP-MODEL-006", f"safetensors: tensor {name!r} has invalid data_offsets", where=where)
        return None
    begin, end = offsets
    if not 0 <= begin <= end <= data_size:
        ctx.issue(
            "AIP-MODEL-020",
            f"safetensors: tensor {name!r} data [{begin}, {end}) lies outside the {data_size} data bytes",
            where=where,
        )
        return None
    bits = math.prod(shape) * DTYPE_BITS[dtype]
    if bits % 8 or bits // 8 != end - begin:
        ctx.issue(
            "AIP-MODEL-020",
            f"safetensors: tensor {name!r} is {end - begin} bytes but shape {shape} of {dtype} needs {bits / 8:g}",
            where=where,
        )
    return begin, end, name
