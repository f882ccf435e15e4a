"""Bounded, forward-only byte reading for the format readers.

`ByteReader` buffers a binary stream, hashes every byte it pulls from it (so the
SHA-256 of a file comes out of the same pass that parses it) and can skip large
payloads without holding them: by seeking when nothing needs the bytes, by reading
in chunks otherwise. `SubStream` is a length-bounded view of a reader, used to scan
a payload embedded in another (a pickle inside pickle bytes) without copying it.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO

CHUNK = 1 << 20


class ByteReader:
    """Buffered reader over `raw`; `buf[pos:]` is unread, `base` is the absolute offset
    of `buf[0]`. Hot loops read `buf`/`pos` directly and call `fill` when short."""

    __slots__ = ("raw", "buf", "pos", "base", "hasher", "_seekable", "_eof", "_chunk")

    def __init__(self, raw: Any, *, offset: int = 0, hasher: Any = None, chunk: int = CHUNK) -> None:
        self.raw = raw
        self.buf = b""
        self.pos = 0
        self.base = offset
        self.hasher = hasher
        self._eof = False
        self._chunk = chunk  # first read size; doubles up to CHUNK (small for archive members)
        try:
            self._seekable = hasher is None and bool(raw.seekable())
        except (AttributeError, OSError, ValueError):
            self._seekable = False

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def _pull(self, size: int) -> bytes:
        if self._eof:
            return b""
        data = self.raw.read(size)
        if not data:
            self._eof = True
            return b""
        if self.hasher is not None:
            self.hasher.update(data)
        return data

    def fill(self, need: int) -> bool:
        """Make at least `need` unread bytes available; False at end of stream."""
        have = len(self.buf) - self.pos
        if have >= need:
            return True
        parts = [self.buf[self.pos :]] if have else []
        self.base += self.pos
        while have < need:
            data = self._pull(max(self._chunk, need - have))
            self._chunk = min(self._chunk * 2, CHUNK)
            if not data:
                break
            parts.append(data)
            have += len(data)
        self.buf = b"".join(parts) if len(parts) != 1 else parts[0]
        self.pos = 0
        return have >= need

    def at_eof(self) -> bool:
        return not self.fill(1)

    def peek(self, n: int) -> bytes:
        self.fill(n)
        return self.buf[self.pos : self.pos + n]

    def read(self, n: int) -> bytes:
        """Up to `n` bytes (fewer only at the end of the stream)."""
        self.fill(n)
        data = self.buf[self.pos : self.pos + n]
        self.pos += len(data)
        return data

    def skip(self, n: int) -> int:
        """Skip `n` bytes without keeping them; returns how many were skipped."""
        have = len(self.buf) - self.pos
        if n <= have:
            self.pos += n
            return n
        done = have
        self.base += len(self.buf)
        self.buf, self.pos = b"", 0
        left = n - have
        if self._seekable and not self._eof:
            try:
                here = self.raw.tell()
                end = self.raw.seek(0, io.SEEK_END)
                target = min(end, here + left)
                self.raw.seek(target)
                self.base += target - here
                if target - here < left:
                    self._eof = True
                return done + (target - here)
            except (OSError, ValueError):
                self._seekable = False
        while left > 0:
            data = self._pull(min(CHUNK * 4, left))
            if not data:
                break
            left -= len(data)
            self.base += len(data)
        return n - left

    def drain(self) -> int:
        """Read (and hash) everything left; returns the number of bytes."""
        total = len(self.buf) - self.pos
        self.base += len(self.buf)
        self.buf, self.pos = b"", 0
        while data := self._pull(CHUNK * 4):
            total += len(data)
            self.base += len(data)
        return total


class SubStream(io.RawIOBase):
    """At most `length` bytes of `reader`, read through it (so they are hashed once)."""

    def __init__(self, reader: ByteReader, length: int) -> None:
        super().__init__()
        self._reader = reader
        self.left = length

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        n = self.left if size is None or size < 0 else min(size, self.left)
        data = self._reader.read(n)
        self.left -= len(data)
        return data

    def readinto(self, b: Any) -> int:  # pragma: no cover - io protocol completeness
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def finish(self) -> None:
        """Skip whatever the nested reader did not consume."""
        if self.left > 0:
            self.left -= self._reader.skip(self.left)


def open_binary(path: Any) -> BinaryIO:
    return open(path, "rb", buffering=0)
