"""A lean HTTP/1.1 keep-alive client for upstream calls: asyncio transports and the
httptools response parser (both already installed with `uvicorn[standard]`).

Why not httpx on this path, measured on the 2-core development machine against the
benchmark's fake upstream (raw ASGI on uvicorn/httptools, 1 KB JSON POST answered at
once; `benchmarks/gateway_bench.py --clients`, table in docs/benchmarks.md):
- one POST cost ~570 µs of CPU through httpx 0.29 (AsyncClient, keep-alive pool) at one
  request in flight and ~1.1-1.3 ms at 20-100 in flight (its pool re-examines its
  connections on every request; each send and receive goes through anyio and h11;
  every response builds Headers/Request/URL objects); through this client, ~45 µs and
  ~25 µs. httpx did 750-1,300 requests/s, this client 10,000-42,000.
- in the gateway, httpx took ~55% of a worker's CPU at 10 clients (py-spy), more than
  the full guard on the prompt and the answer (12%).

What it keeps of httpx's behaviour, for what the gateway needs: a pool per origin with
a global `max_connections` limit (callers wait for a slot), idle connections reused
last-in first-out and closed after `KEEPALIVE_EXPIRY_S` (httpx's default, shorter than
common server keep-alive timeouts), connect timeout and a read timeout that applies to
each wait for bytes (headers, then every body chunk), TLS with certifi's CA bundle,
chunked and content-length bodies, gzip/deflate decoding, and back-pressure on
streams (reading pauses when the consumer falls behind). A request that fails on a
reused connection before any byte of the answer arrived is retried once on a new
connection (the server closed an idle connection as we wrote to it; the upstream sees
the request twice only if it read it and then closed without answering). Where an
`HTTP(S)_PROXY` environment variable applies to an upstream, `gateway.upstream` routes
that upstream through httpx instead, which implements proxies.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from functools import lru_cache
from urllib.parse import urlsplit

import httptools

from aiposture.gateway.upstream_response import (
    UpstreamHTTPError,
    UpstreamResponse,
    UpstreamTimeout,
    UpstreamUnreachable,
)

__all__ = ["UpstreamHTTPError", "UpstreamPool", "UpstreamResponse", "UpstreamTimeout", "UpstreamUnreachable"]

KEEPALIVE_EXPIRY_S = 5.0


@lru_cache(maxsize=1024)
def split_url(url: str) -> tuple[tuple[str, str, int], str, str]:
    """(origin key, request target, Host header) of an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    host = parts.hostname
    host_header = f"[{host}]" if ":" in host else host
    if parts.port and parts.port != (443 if tls else 80):
        host_header += f":{parts.port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (parts.scheme, host, port), path, host_header


def _request_bytes(method: str, target: str, host: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"host: {host}", f"content-length: {len(body)}"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ValueError(f"header {name!r} holds a line break")
        lines.append(f"{name}: {value}")
    lines.append("accept-encoding: gzip, deflate")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Connection(asyncio.Protocol):
    """One keep-alive connection: one request at a time, parsed by httptools."""

    def __init__(self, pool: UpstreamPool, key: tuple[str, str, int], loop: asyncio.AbstractEventLoop) -> None:
        self.pool = pool
        self.key = key
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.response: UpstreamResponse | None = None
        self.closed = False
        self.received = False  # any byte of the current answer
        self.idle_since = 0.0
        self._paused = False
        self._counted_out = False

    # asyncio.Protocol
    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received = True
        if self.response is None:  # bytes nobody asked for: the connection is unusable
            self.close()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.response._on_error(UpstreamUnreachable("MalformedResponse"))
            self.close()

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed_now()
        response = self.response
        if response is not None and not response._complete:
            if response._headers_done and _ends_at_close(response.headers):
                response._on_complete()  # a body delimited by the end of the connection
            else:
                response._on_error(UpstreamUnreachable("RemoteProtocolError" if self.received else "ReadError"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.response._raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.response._on_headers(self.parser.get_status_code())

    def on_body(self, body: bytes) -> None:
        self.response._on_body(body)

    def on_message_complete(self) -> None:
        response = self.response
        if not self.parser.should_keep_alive():
            self.closed = True  # not reusable; closed when the response is released
        response._on_complete()

    # used by the response and the pool
    def send(self, payload: bytes, timeout: float) -> UpstreamResponse:
        self.response = UpstreamResponse(self, timeout)
        self.received = False
        self.parser = httptools.HttpResponseParser(self)
        self.transport.write(payload)
        return self.response

    def pause(self) -> None:
        if not self._paused and not self.closed:
            self._paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self._paused and not self.closed:
            self._paused = False
            self.transport.resume_reading()

    def finished(self, response: UpstreamResponse, reusable: bool) -> None:
        if response is not self.response:
            return
        self.response = None
        if reusable and not self.closed:
            self.resume()
            self.idle_since = self.loop.time()
            self.pool._release(self)
        else:
            self.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()  # connection_lost follows and settles the pool's count
        self._closed_now()

    def _closed_now(self) -> None:
        if self.transport is not None and not self._counted_out:
            self._counted_out = True
            self.pool._forget(self)
        self.closed = True


def _ends_at_close(headers: dict[str, str]) -> bool:
    return "content-length" not in headers and "chunked" not in headers.get("transfer-encoding", "").lower()


class UpstreamPool:
    """Keep-alive connections per origin under one `max_connections` limit."""

    def __init__(self, max_connections: int, connect_timeout: float, read_timeout: float) -> None:
        self.max_connections = max(1, max_connections)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._open = 0  # connections open or being opened
        self._slot_waiters: deque[asyncio.Future] = deque()
        self._ssl: ssl.SSLContext | None = None
        self._closed = False

    async def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes, timeout: float | None = None
    ) -> UpstreamResponse:
        """Send a request and return once the status and headers are in; the caller reads
        the body (`read`, `iter_bytes`, `iter_lines`) and then the connection is reused,
        or calls `close()` to drop it."""
        key, target, host = split_url(url)
        payload = _request_bytes(method, target, host, headers, body)
        timeout = self.read_timeout if timeout is None else timeout
        for attempt in (0, 1):
            conn, reused = await self._acquire(key)
            response = conn.send(payload, timeout)
            try:
                await response._start()
            except UpstreamUnreachable:
                response.close()
                if reused and attempt == 0 and not conn.received:
                    continue  # the idle connection was closed under us: once more on a new one
                raise
            except BaseException:
                response.close()
                raise
            return response
        raise UpstreamUnreachable("ReadError")  # pragma: no cover - the loop returns or raises

    async def _acquire(self, key: tuple[str, str, int]) -> tuple[_Connection, bool]:
        if self._closed:
            raise UpstreamUnreachable("PoolClosed")
        loop = asyncio.get_running_loop()
        while True:
            idle = self._idle.get(key)
            now = loop.time()
            while idle:
                conn = idle.pop()
                if conn.closed:
                    continue
                if now - conn.idle_since > KEEPALIVE_EXPIRY_S:
                    conn.close()
                    continue
                return conn, True
            if self._open < self.max_connections:
                break
            if not self._evict_idle():
                await self._wait_for_slot(loop)
        self._open += 1
        try:
            conn = await self._connect(key, loop)
        except BaseException:
            self._open -= 1
            self._wake_one()
            raise
        return conn, False

    def _evict_idle(self) -> bool:
        """Close one idle connection of another origin to make room; False if none."""
        for conns in self._idle.values():
            while conns:
                conn = conns.pop(0)
                if not conn.closed:
                    conn.close()
                    return True
        return False

    async def _wait_for_slot(self, loop: asyncio.AbstractEventLoop) -> None:
        waiter = loop.create_future()
        self._slot_waiters.append(waiter)
        timer = loop.call_later(self.read_timeout, _expire_pool, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            if waiter in self._slot_waiters:
                self._slot_waiters.remove(waiter)

    def _wake_one(self) -> None:
        while self._slot_waiters:
            waiter = self._slot_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _connect(self, key: tuple[str, str, int], loop: asyncio.AbstractEventLoop) -> _Connection:
        scheme, host, port = key
        tls = self._ssl_context() if scheme == "https" else None
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(self, key, loop), host, port, ssl=tls, server_hostname=host if tls else None
                ),
                self.connect_timeout,
            )
        except TimeoutError:
            raise UpstreamTimeout("ConnectTimeout") from None
        except OSError as exc:
            raise UpstreamUnreachable(f"ConnectError: {exc.__class__.__name__}") from None
        return conn

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            try:
                import certifi

                self._ssl = ssl.create_default_context(cafile=certifi.where())
            except ImportError:  # pragma: no cover - certifi comes with httpx
                self._ssl = ssl.create_default_context()
        return self._ssl

    def _release(self, conn: _Connection) -> None:
        if self._closed:
            conn.close()
            return
        self._idle.setdefault(conn.key, []).append(conn)
        self._wake_one()

    def _forget(self, conn: _Connection) -> None:
        self._open -= 1
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)
        self._wake_one()

    async def aclose(self) -> None:
        self._closed = True
        for conns in self._idle.values():
            for conn in list(conns):
                conn.close()
        self._idle.clear()


def _expire_pool(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_exception(UpstreamTimeout("PoolTimeout"))
