"""The answer of one upstream request on the pool of `gateway.upstream_http`: status
and headers as soon as they arrive, the body read whole, as chunks or as text lines
(decoded when the upstream compressed it), with a read timeout on every wait and
back-pressure on the connection when the reader falls behind; and the transport
errors the gateway maps to 502/504."""

from __future__ import annotations

import asyncio
import codecs
import zlib
from collections import deque
from collections.abc import AsyncIterator
from typing import Protocol

MAX_BUFFER = 256 * 1024  # bytes held for a slow consumer before reading pauses


class UpstreamHTTPError(Exception):
    """A transport failure talking to an upstream."""


class UpstreamTimeout(UpstreamHTTPError):
    pass


class UpstreamUnreachable(UpstreamHTTPError):
    pass


class Carrier(Protocol):
    """What a response needs of its connection."""

    loop: asyncio.AbstractEventLoop

    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def finished(self, response: UpstreamResponse, reusable: bool) -> None: ...


class UpstreamResponse:
    """Status and headers as soon as they arrive; the body read whole or as it comes."""

    def __init__(self, conn: Carrier, timeout: float) -> None:
        self._conn = conn
        self._timeout = timeout
        self.status = 0
        self.headers: dict[str, str] = {}
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._headers_done = False
        self._complete = False
        self._error: Exception | None = None
        self._waiter: asyncio.Future | None = None
        self._released = False
        self._decoder = None

    # --- fed by the connection --------------------------------------------
    def _on_headers(self, status: int) -> None:
        self.status = status
        headers: dict[str, str] = {}
        for name, value in self._raw_headers:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        self.headers = headers
        encoding = headers.get("content-encoding", "").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._decoder = zlib.decompressobj()
        self._headers_done = True
        self._wake()

    def _on_body(self, data: bytes) -> None:
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered > MAX_BUFFER:
            self._conn.pause()
        self._wake()

    def _on_complete(self) -> None:
        self._complete = True
        self._wake()

    def _on_error(self, exc: Exception) -> None:
        if not self._complete:
            self._error = exc
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait(self) -> None:
        if self._error is not None:
            raise self._error
        loop = self._conn.loop
        waiter = self._waiter = loop.create_future()
        timer = loop.call_later(self._timeout, _expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None
        if self._error is not None:
            raise self._error

    # --- read by the caller -------------------------------------------------
    async def _start(self) -> None:
        while not self._headers_done:
            await self._wait()

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Body chunks as they arrive (decoded when the upstream compressed them)."""
        try:
            while True:
                while self._chunks:
                    data = self._chunks.popleft()
                    self._buffered -= len(data)
                    if self._decoder is not None:
                        data = self._decoder.decompress(data)
                    if data:
                        yield data
                if self._complete:
                    if self._decoder is not None and (tail := self._decoder.flush()):
                        yield tail
                    return
                self._conn.resume()
                await self._wait()
        except zlib.error:
            raise UpstreamUnreachable("CorruptBody") from None
        finally:
            self._finish()

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.iter_bytes()])

    async def iter_lines(self) -> AsyncIterator[str]:
        """Text lines split at \\n, \\r\\n or \\r only (as server-sent events define them)."""
        carry = ""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        async for chunk in self.iter_bytes():
            text = carry + decoder.decode(chunk)
            cut = len(text) - 1 if text.endswith("\r") else len(text)  # a \r\n may be split
            lines = text[:cut].replace("\r\n", "\n").replace("\r", "\n").split("\n")
            carry = lines.pop() + text[cut:]
            for line in lines:
                yield line
        carry += decoder.decode(b"", final=True)
        for line in carry.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            if line:
                yield line

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        """Give the connection back if the answer was read to its end, else drop it."""
        self._finish()

    def _finish(self) -> None:
        if self._released:
            return
        self._released = True
        self._conn.finished(self, reusable=self._complete and self._error is None)


def _expire(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_exception(UpstreamTimeout("ReadTimeout"))
