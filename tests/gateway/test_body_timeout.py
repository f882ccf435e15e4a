"""A client that sends its headers and then dribbles (or stops sending) the body gets a
clean 408 once `client_body_timeout_s` has passed, and the refusal is on record."""

from __future__ import annotations

import socket


def test_slow_body_gets_408(gateway):
    gw = gateway(config={"limits": {"client_body_timeout_s": 0.3, "max_body_bytes": 200_000}})
    key = gw.key()
    with socket.create_connection(("127.0.0.1", gw.server.port), timeout=10) as sock:
        head = (
            "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            f"authorization: Bearer {key}\r\ncontent-length: 500\r\n\r\n"
        )
        sock.sendall(head.encode() + b'{"model": "gpt-4o-mini", "messages": [')  # and nothing more
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    assert answer.startswith(b"HTTP/1.1 408")
    events = gw.events()
    assert events[-1]["data"]["error"] == "request_timeout" and events[-1]["data"]["status"] == 408
