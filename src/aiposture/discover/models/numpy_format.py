"""NumPy `.npy`: magic, version, a header that is a Python dict literal (parsed with
`ast.literal_eval`, as numpy does: no code runs), then the data. An object dtype
means the data is a pickle, which is scanned. `.npz` is a zip of `.npy` files and
goes through the archive reader."""

from __future__ import annotations

import ast
import math
import re
import struct

from aiposture.discover.models.pickle_format import scan_pickle_reader
from aiposture.discover.models.results import Blob, ScanContext, member_where
from aiposture.discover.models.stream import ByteReader

MAX_HEADER = 1 << 16


def scan_npy(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
    if not reader.fill(10):
        ctx.issue("AIP-MODEL-006", "npy: truncated preamble", 0, where=where)
        return
    major = reader.buf[reader.pos + 6]
    if major == 1:
        (hlen,) = struct.unpack_from("<H", reader.buf, reader.pos + 8)
        start = 10
    elif major in (2, 3):
        if not reader.fill(12):
            ctx.issue("AIP-MODEL-006", "npy: truncated preamble", 0, where=where)
            return
        (hlen,) = struct.unpack_from("<I", reader.buf, reader.pos + 8)
        start = 12
    else:
        ctx.issue("AIP-MODEL-006", f"npy: unknown format version {major}", 6, where=where)
        return
    if hlen > MAX_HEADER:
        ctx.issue("AIP-MODEL-006", f"npy: header of {hlen} bytes exceeds {MAX_HEADER}", 8, where=where)
        return
    reader.skip(start)
    raw = reader.read(hlen)
    header = _parse_header(raw)
    if header is None:
        ctx.issue(
            "AIP-MODEL-006",
            "npy: header is not a dict with descr, fortran_order and shape",
            start,
            where=where,
        )
        return
    descr, shape = header
    data_offset = start + hlen
    if _has_object(descr):
        ctx.issue(
            "AIP-MODEL-027",
            f"npy object array (descr {descr!r}); its pickle was scanned",
            data_offset,
            where=where,
        )
        scan_pickle_reader(ctx, reader, where=member_where(where, "array data"))
        return
    _check_size(ctx, blob, descr, shape, data_offset, where)


def _parse_header(raw: bytes) -> tuple[object, tuple[int, ...]] | None:
    try:
        text = raw.decode("latin-1")
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(value, dict) or not {"descr", "shape"} <= value.keys():
        return None
    shape = value["shape"]
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        return None
    return value["descr"], shape


def _has_object(descr: object) -> bool:
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, list):
        for field in descr:
            if isinstance(field, tuple) and len(field) >= 2 and _has_object(field[1]):
                return True
    return False


_DESCR = re.compile(r"^[<>|=]?([biufcmMSUV?])(\d*)(\[\w+\])?$")


def _itemsize(descr: str) -> int | None:
    """Bytes per element of a simple dtype string ('<f8', '|S5', '<U3', '|b1')."""
    m = _DESCR.match(descr)
    if m is None:
        return None
    kind, digits = m.group(1), m.group(2)
    if kind == "?":
        return 1
    if not digits:
        return None
    return int(digits) * (4 if kind == "U" else 1)


def _check_size(ctx: ScanContext, blob: Blob, descr: object, shape: tuple[int, ...], offset: int, where: str) -> None:
    if not isinstance(descr, str):
        return
    itemsize = _itemsize(descr)
    if itemsize is None:
        ctx.issue("AIP-MODEL-006", f"npy: unknown dtype {descr!r}", where=where)
        return
    expected = math.prod(shape) * itemsize
    if offset + expected > blob.size:
        ctx.issue(
            "AIP-MODEL-020",
            f"npy: shape {shape} needs {expected} bytes, the file holds {blob.size - offset}",
            offset,
            where=where,
        )
