"""GGUF (llama.cpp): header, metadata key/values and tensor infos, streamed and
bounded. Counts and lengths that cannot fit in the file are malformed (they have
driven heap overflows in GGUF parsers); tensor data must lie inside the file without
overlap; `tokenizer.chat_template*` values go to the template checker."""

from __future__ import annotations

import struct
from typing import Any

from aiposture.discover.models.chat_template import check_template
from aiposture.discover.models.results import Blob, ScanContext
from aiposture.discover.models.stream import ByteReader

# value types: (struct format, size) for scalars
_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
MAX_TEMPLATE = 1 << 20
MAX_KEY = 1 << 16
MAX_DIMS = 8
# ggml type -> (block size in elements, bytes per block), for the common types
GGML_TYPES = {
    0: (1, 4),
    1: (1, 2),
    2: (32, 18),
    3: (32, 20),
    6: (32, 22),
    7: (32, 24),
    8: (32, 34),
    9: (32, 36),
    10: (256, 84),
    11: (256, 110),
    12: (256, 144),
    13: (256, 176),
    14: (256, 210),
    15: (256, 292),
    24: (1, 1),
    25: (1, 2),
    26: (1, 4),
    27: (1, 8),
    28: (1, 8),
    30: (1, 2),
}


class _Bad(Exception):
    pass


class _GGUFReader:
    def __init__(self, reader: ByteReader, size: int, version: int) -> None:
        self.r = reader
        self.size = size
        self.wide = version >= 2  # v1 used 32-bit counts and lengths

    def take(self, fmt: str) -> Any:
        n = struct.calcsize(fmt)
        data = self.r.read(n)
        if len(data) < n:
            raise _Bad("truncated")
        return struct.unpack(fmt, data)[0]

    def count(self) -> int:
        return self.take("<Q" if self.wide else "<I")

    def string(self, limit: int) -> str | None:
        """A GGUF string; its text when at most `limit` bytes, else skipped (None)."""
        n = self.count()
        if n > self.size - self.r.offset:
            raise _Bad(f"string length {n} runs past the end of the file")
        if n > limit:
            self.r.skip(n)
            return None
        data = self.r.read(n)
        if len(data) < n:
            raise _Bad("truncated string")
        return data.decode("utf-8", "replace")

    def value(self, vtype: int, keep: bool) -> Any:
        if vtype in _SCALARS:
            return self.take(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string(MAX_TEMPLATE if keep else 0)
        if vtype == _ARRAY:
            etype = self.take("<I")
            n = self.count()
            if n > self.size - self.r.offset:
                raise _Bad(f"array of {n} elements cannot fit in the file")
            if etype in _SCALARS:
                width = struct.calcsize(_SCALARS[etype])
                self.r.skip(n * width)
                return None
            if etype == _ARRAY:
                raise _Bad("nested arrays")
            for _ in range(n):
                self.value(etype, False)
            return None
        raise _Bad(f"unknown value type {vtype}")


def scan_gguf(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
    head = reader.read(8)
    if len(head) < 8:
        ctx.issue("AIP-MODEL-006", "gguf: truncated header", 0, where=where)
        return
    version = struct.unpack_from("<I", head, 4)[0]
    if version not in (1, 2, 3):
        ctx.issue("AIP-MODEL-006", f"gguf: unknown version {version}", 4, where=where)
        return
    g = _GGUFReader(reader, blob.size, version)
    try:
        n_tensors, n_kv = g.count(), g.count()
        if n_kv > blob.size // 9 or n_tensors > blob.size // 24:
            raise _Bad(f"counts ({n_tensors} tensors, {n_kv} keys) cannot fit in the file")
        alignment = _read_metadata(ctx, g, n_kv, where)
        tensors = _read_tensor_infos(g, n_tensors)
    except _Bad as exc:
        ctx.issue(
            "AIP-MODEL-020" if "fit" in str(exc) or "past" in str(exc) else "AIP-MODEL-006",
            f"gguf: {exc}",
            reader.offset,
            where=where,
        )
        return
    data_start = -(-reader.offset // alignment) * alignment
    _check_tensor_data(ctx, tensors, blob.size - data_start, where)


def _read_metadata(ctx: ScanContext, g: _GGUFReader, n_kv: int, where: str) -> int:
    alignment = 32
    for _ in range(n_kv):
        offset = g.r.offset
        key = g.string(MAX_KEY)
        if key is None:
            raise _Bad("metadata key longer than 64 KiB")
        vtype = g.take("<I")
        is_template = key.startswith("tokenizer.chat_template")
        value = g.value(vtype, keep=is_template)
        if key == "general.alignment" and isinstance(value, int):
            if value <= 0 or value & (value - 1):
                raise _Bad(f"general.alignment {value} is not a power of two")
            alignment = value
        if is_template:
            _check_template(ctx, key, value, vtype, offset, where)
    return alignment


def _check_template(ctx: ScanContext, key: str, value: Any, vtype: int, offset: int, where: str) -> None:
    if vtype != _STRING:
        return
    if value is None:
        ctx.issue(
            "AIP-MODEL-019",
            f"gguf {key}: template longer than {MAX_TEMPLATE} bytes not checked",
            offset,
            where=where,
        )
        return
    for finding in check_template(value):
        line = f" (template line {finding.line})" if finding.line else ""
        rule = "AIP-MODEL-018" if finding.critical else "AIP-MODEL-019"
        ctx.issue(rule, f"gguf {key}: {finding.detail}{line}", offset, where=where)


def _read_tensor_infos(g: _GGUFReader, n: int) -> list[tuple[str, int, int | None]]:
    tensors = []
    for _ in range(n):
        name = g.string(MAX_KEY) or "?"
        n_dims = g.take("<I")
        if n_dims > MAX_DIMS:
            raise _Bad(f"tensor {name!r} has {n_dims} dimensions")
        dims = [g.take("<Q" if g.wide else "<I") for _ in range(n_dims)]
        ggml_type = g.take("<I")
        offset = g.take("<Q")
        size = None
        if ggml_type in GGML_TYPES:
            block, width = GGML_TYPES[ggml_type]
            elements = 1
            for d in dims:
                elements *= d
            size = -(-elements // block) * width
        tensors.append((name, offset, size))
    return tensors


def _check_tensor_data(
    ctx: ScanContext, tensors: list[tuple[str, int, int | None]], data_size: int, where: str
) -> None:
    position = 0
    for name, offset, size in sorted(tensors, key=lambda t: t[1]):
        end = offset + (size or 0)
        if offset < position:
            ctx.issue("AIP-MODEL-020", f"gguf: tensor {name!r} overlaps the previous tensor", where=where)
        if end > data_size:
            ctx.issue(
                "AIP-MODEL-020",
                f"gguf: tensor {name!r} data [{offset}, {end}) lies outside the {max(data_size, 0)} data bytes",
                where=where,
            )
        position = max(position, end)
