"""A minimal streaming protobuf wire-format walker (no generated code, no protobuf
runtime, no TensorFlow or ONNX): `walk` reads a message's fields from a ByteReader
and calls a handler for each field it is asked about, skipping the rest without
holding them. Enough to read op names out of a 2 GB SavedModel in bounded memory."""

from __future__ import annotations

from collections.abc import Callable

from aiposture.discover.models.stream import ByteReader

MAX_DEPTH = 64


class WireError(Exception):
    pass


def read_varint(r: ByteReader) -> int:
    result = shift = 0
    while True:
        b = r.read(1)
        if not b:
            raise WireError("truncated varint")
        result |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            return result
        shift += 7
        if shift > 63:
            raise WireError("varint longer than 10 bytes")


# handler(reader, end_offset) for a length-delimited field: must not read past end;
# whatever it leaves is skipped.
FieldHandler = Callable[[ByteReader, int], None]


def walk(
    r: ByteReader,
    end: int,
    handlers: dict[int, FieldHandler],
    depth: int = 0,
    on_varint: Callable[[int, int], None] | None = None,
) -> None:
    if depth > MAX_DEPTH:
        raise WireError(f"messages nested deeper than {MAX_DEPTH}")
    while r.offset < end:
        key = read_varint(r)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise WireError("field number 0")
        if wire == 0:
            value = read_varint(r)
            if on_varint is not None:
                on_varint(field, value)
        elif wire == 1:
            _skip(r, 8)
        elif wire == 5:
            _skip(r, 4)
        elif wire == 2:
            length = read_varint(r)
            stop = r.offset + length
            if stop > end:
                raise WireError(f"field {field} runs past its message")
            handler = handlers.get(field)
            if handler is not None:
                handler(r, stop)
            if r.offset < stop:
                _skip(r, stop - r.offset)
            elif r.offset > stop:
                raise WireError(f"field {field} read past its end")
        else:
            raise WireError(f"unsupported wire type {wire}")
    if r.offset != end:
        raise WireError("message overruns its length")


def _skip(r: ByteReader, n: int) -> None:
    if r.skip(n) < n:
        raise WireError("truncated field")


def read_string(r: ByteReader, end: int, limit: int = 4096) -> str:
    n = end - r.offset
    data = r.read(min(n, limit))
    return data.decode("utf-8", "replace")


def message(
    handlers: dict[int, FieldHandler], depth: int = 0, on_varint: Callable[[int, int], None] | None = None
) -> FieldHandler:
    """A handler that walks a sub-message with its own handlers."""

    def handler(r: ByteReader, end: int) -> None:
        walk(r, end, handlers, depth + 1, on_varint)

    return handler
