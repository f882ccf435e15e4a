"""The gateway's HTTP/1.1 upstream pool against a scripted raw server on 127.0.0.1:
body framings, compression, keep-alive reuse, a server that closes idle connections,
the connection limit, timeouts, malformed answers and line splitting for SSE."""

from __future__ import annotations

import asyncio
import gzip
import zlib

import pytest

from aiposture.gateway.config import Limits, Upstream
from aiposture.gateway.errors import GatewayError
from aiposture.gateway.upstream import UpstreamClient, post_json
from aiposture.gateway.upstream_http import UpstreamPool, UpstreamTimeout, UpstreamUnreachable, split_url


def _answer(body: bytes, extra: str = "", status: str = "200 OK") -> bytes:
    return f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n{extra}\r\n".encode() + body


class Script:
    """A raw server: each accepted connection serves `replies` in turn, one per request
    (a callable gets the request bytes); `None` closes the connection instead."""

    def __init__(self, replies) -> None:
        self.replies = list(replies)
        self.requests: list[bytes] = []
        self.connections = 0
        self.server = None

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        self.server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.replies:
                head = await reader.readuntil(b"\r\n\r\n")
                lengths = [
                    int(v.split(b":")[1]) for v in head.split(b"\r\n") if v.lower().startswith(b"content-length")
                ]
                length = lengths[0] if lengths else 0
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                reply = self.replies.pop(0)
                if reply is None:
                    break
                if callable(reply):
                    await reply(writer)
                else:
                    writer.write(reply)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _pool(**kw) -> UpstreamPool:
    return UpstreamPool(kw.get("max_connections", 10), kw.get("connect", 1.0), kw.get("read", 1.0))


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize(
    "reply, expected",
    [
        (_answer(b'{"a": 1}'), b'{"a": 1}'),
        (
            b'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{"a"\r\n4\r\n: 2}\r\n0\r\n\r\n',
            b'{"a": 2}',
        ),
        (_answer(gzip.compress(b'{"z": true}'), "content-encoding: gzip\r\n"), b'{"z": true}'),
        (_answer(zlib.compress(b'{"d": 0}'), "content-encoding: deflate\r\n"), b'{"d": 0}'),
    ],
    ids=["content-length", "chunked", "gzip", "deflate"],
)
def test_body_framings(reply, expected):
    async def main():
        async with Script([reply]) as srv:
            pool = _pool()
            resp = await pool.request("POST", f"{srv.url}/v1/x?api-version=1", {"x-api-key": "k"}, b"{}")
            assert resp.status == 200
            assert await resp.read() == expected
            request = srv.requests[0]
            assert request.startswith(b"POST /v1/x?api-version=1 HTTP/1.1\r\n")
            assert b"x-api-key: k\r\n" in request and f"host: 127.0.0.1:{srv.port}".encode() in request
            await pool.aclose()

    run(main())


def test_body_until_close_when_no_length():
    async def write_and_close(writer):
        writer.write(b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"e": 1}')
        await writer.drain()
        writer.close()

    async def main():
        async with Script([write_and_close]) as srv:
            pool = _pool()
            resp = await pool.request("POST", srv.url + "/", {}, b"")
            assert await resp.read() == b'{"e": 1}'
            await pool.aclose()

    run(main())


def test_keep_alive_reuses_one_connection():
    async def main():
        async with Script([_answer(b"1"), _answer(b"2"), _answer(b"3")]) as srv:
            pool = _pool()
            for want in (b"1", b"2", b"3"):
                resp = await pool.request("POST", srv.url + "/", {}, b"x")
                assert await resp.read() == want
            assert srv.connections == 1
            await pool.aclose()

    run(main())


def test_server_closing_an_idle_connection_is_retried_on_a_new_one():
    async def main():
        # the first connection answers once then closes when the second request comes
        async with Script([_answer(b"first"), None, _answer(b"second")]) as srv:
            pool = _pool()
            assert await (await pool.request("POST", srv.url + "/", {}, b"")).read() == b"first"
            assert await (await pool.request("POST", srv.url + "/", {}, b"")).read() == b"second"
            assert srv.connections == 2
            await pool.aclose()

    run(main())


def test_connection_closed_before_answer_on_a_new_connection_is_an_error():
    async def main():
        async with Script([None]) as srv:
            pool = _pool()
            with pytest.raises(UpstreamUnreachable):
                await pool.request("POST", srv.url + "/", {}, b"")
            await pool.aclose()

    run(main())


def test_connection_limit_makes_callers_wait_for_a_slot():
    async def slow(writer):
        await asyncio.sleep(0.2)
        writer.write(_answer(b"ok"))
        await writer.drain()

    async def main():
        async with Script([slow, slow, slow]) as srv:
            pool = _pool(max_connections=1)

            async def one():
                resp = await pool.request("POST", srv.url + "/", {}, b"")
                return await resp.read()

            assert await asyncio.gather(one(), one(), one()) == [b"ok"] * 3
            assert srv.connections == 1  # the three went one after the other on one connection
            await pool.aclose()

    run(main())


def test_read_timeout_and_connect_failure():
    async def never(writer):
        await asyncio.sleep(5)

    async def main():
        async with Script([never]) as srv:
            pool = _pool(read=0.2)
            with pytest.raises(UpstreamTimeout):
                await pool.request("POST", srv.url + "/", {}, b"")
            await pool.aclose()
        async with Script([]) as srv:
            dead = srv.url
        with pytest.raises(UpstreamUnreachable, match="ConnectError"):
            await _pool().request("POST", dead + "/", {}, b"")

    run(main())


def test_stalled_body_times_out_mid_read():
    async def half(writer):
        writer.write(b'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"partial')
        await writer.drain()
        await asyncio.sleep(5)

    async def main():
        async with Script([half]) as srv:
            pool = _pool(read=0.2)
            resp = await pool.request("POST", srv.url + "/", {}, b"")
            with pytest.raises(UpstreamTimeout):
                await resp.read()
            await pool.aclose()

    run(main())


def test_malformed_status_line_is_an_error():
    async def main():
        async with Script([b"NOT HTTP AT ALL\r\n\r\n"]) as srv:
            with pytest.raises(UpstreamUnreachable):
                await _pool().request("POST", srv.url + "/", {}, b"")

    run(main())


def test_sse_lines_split_across_chunks_and_line_endings():
    parts = [b"data: a\r", b"\n\r\ndata: b\n", b"\ndata: c\rdata: d\r\n\r\n", b"data: \xc3", b"\xa9\n\n"]

    async def dribble(writer):
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        for part in parts:
            writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(b"0\r\n\r\n")

    async def main():
        async with Script([dribble]) as srv:
            pool = _pool()
            resp = await pool.request("POST", srv.url + "/", {}, b"")
            lines = [line async for line in resp.iter_lines()]
            assert lines == ["data: a", "", "data: b", "", "data: c", "data: d", "", "data: é", ""]
            await pool.aclose()

    run(main())


def test_header_values_with_line_breaks_are_refused():
    with pytest.raises(ValueError):
        asyncio.run(_pool().request("POST", "http://127.0.0.1:9/", {"x": "a\r\nInjected: 1"}, b""))


@pytest.mark.parametrize(
    "url, key, target, host",
    [
        ("http://h:8080/v1/chat", ("http", "h", 8080), "/v1/chat", "h:8080"),
        ("https://api.example.com/v1?x=1", ("https", "api.example.com", 443), "/v1?x=1", "api.example.com"),
        ("http://[::1]:81", ("http", "::1", 81), "/", "[::1]:81"),
    ],
)
def test_split_url(url, key, target, host):
    assert split_url(url) == (key, target, host)


def test_client_maps_transport_errors_and_uses_httpx_behind_a_proxy(monkeypatch):
    up = Upstream(name="u", base_url="http://127.0.0.1:9/v1")

    async def main():
        async with Script([]) as srv:
            dead = srv.url
        client = UpstreamClient(Limits(connect_timeout_s=1.0, upstream_timeout_s=1.0))
        with pytest.raises(GatewayError) as info:
            await post_json(client, up, dead + "/v1/chat/completions", {}, {"a": 1})
        assert info.value.status == 502 and info.value.code == "upstream_unreachable"
        await client.aclose()

        # a proxy in the environment: the request goes through httpx, to the proxy
        async with Script([_answer(b'{"via": "proxy"}')]) as proxy:
            monkeypatch.setenv("HTTP_PROXY", proxy.url)
            monkeypatch.delenv("NO_PROXY", raising=False)
            monkeypatch.delenv("no_proxy", raising=False)
            client = UpstreamClient(Limits())
            status, body = await post_json(client, up, "http://upstream.invalid/v1/chat/completions", {}, {})
            assert (status, body) == (200, {"via": "proxy"})
            assert proxy.requests[0].startswith(b"POST http://upstream.invalid/v1/chat/completions")
            await client.aclose()

    run(main())
