"""Server-sent-event passthrough with incremental guarding of the answer.

Upstream events are held until the text they carry has been checked: every
`CHECK_EVERY` new characters the guard reads the new text plus an overlap of what it
already saw (so a value split across chunks is still caught). When a window is
blocked the stream ends with a final error event instead of the rest of the answer.
Placeholders of pseudonymised values are restored as events are released, holding
back a tail that could be half a placeholder. The audit event is written before the
final `[DONE]` is sent, so a client that saw `[DONE]` knows the call is on record.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import JSONResponse, Response, StreamingResponse

from aiposture.gateway.config import AppPolicy, Policy, Upstream
from aiposture.gateway.decide import decide, redact_spans
from aiposture.gateway.errors import GatewayError, forbidden, upstream_error
from aiposture.gateway.messages import stream_delta_slot, usage_of
from aiposture.gateway.pseudonym import Pseudonymizer, StreamRestorer
from aiposture.gateway.service import Context, Gateway, merge_verdicts
from aiposture.gateway.toolcalls_answer import ToolStream
from aiposture.gateway.tools import Caller
from aiposture.gateway.upstream import UpstreamAnswer, check_response, map_transport_error
from aiposture.gateway.upstream_http import UpstreamHTTPError, UpstreamTimeout

CHECK_EVERY = 256
OVERLAP = 256
_LOG_CAP = 32_768


async def open_stream(
    gw: Gateway,
    ctx: Context,
    up: Upstream,
    url: str,
    headers: dict[str, str],
    body: dict,
    kind: str,
    dialect: str,
    policy: Policy,
    app_policy: AppPolicy,
    pseudonyms: Pseudonymizer | None,
    tools: Caller | None = None,
) -> Response:
    started = time.perf_counter()
    resp = await gw.client.send(up, url, headers, json.dumps(body).encode())
    if resp.status != 200 or not resp.headers.get("content-type", "").startswith("text/event-stream"):
        try:
            content = await resp.read()
        except UpstreamHTTPError as exc:
            raise map_transport_error(up, exc) from None
        finally:
            await resp.aclose()
        ctx.upstream_seconds = time.perf_counter() - started
        status, parsed = check_response(up, resp.status, content)
        ctx.status = status
        await gw.record(ctx, app_policy.fail_open)
        return JSONResponse(parsed, status_code=status)
    guard = _StreamGuard(gw, ctx, kind, dialect, policy, app_policy, pseudonyms, resp, started)
    guard.tools = ToolStream(gw.tools, tools, kind, _Event) if tools is not None else None
    return StreamingResponse(
        guard.run(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


class _Event:
    __slots__ = ("lines", "data", "done")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.done = False
        self.data: Any = None
        payload = "\n".join(line[5:].lstrip() for line in lines if line.startswith("data:"))
        if payload == "[DONE]":
            self.done = True
        elif payload:
            try:
                self.data = json.loads(payload)
            except ValueError:
                self.data = None

    def render(self, modified: bool) -> bytes:
        if not modified:
            return ("\n".join(self.lines) + "\n\n").encode()
        head = [line for line in self.lines if not line.startswith("data:")]
        return ("\n".join([*head, "data: " + json.dumps(self.data)]) + "\n\n").encode()


class _StreamGuard:
    def __init__(
        self,
        gw: Gateway,
        ctx: Context,
        kind: str,
        dialect: str,
        policy: Policy,
        app: AppPolicy,
        pseudonyms: Pseudonymizer | None,
        resp: UpstreamAnswer,
        started: float,
    ) -> None:
        self.gw, self.ctx, self.kind, self.dialect = gw, ctx, kind, dialect
        self.policy, self.app, self.resp, self.started = policy, app, resp, started
        self.restorer = StreamRestorer(pseudonyms) if pseudonyms else None
        self.pending: list[_Event] = []
        self.unchecked = ""
        self.tail = ""
        self.seen: list[str] = []
        self.seen_chars = 0
        self.decisions = []
        self.tools: ToolStream | None = None  # holds tool-call events until each call is decided

    async def run(self) -> AsyncIterator[bytes]:
        done: _Event | None = None
        finished = False
        try:
            async for event in self._events():
                if event.done:
                    done = event
                    break
                self._take(event)
                if len(self.unchecked) >= CHECK_EVERY:
                    self._check()
                    if released := b"".join(self._release(final=False)):
                        yield released  # one write for what one check released, not one per event
            if self.tools is not None:
                self.pending.extend(self.tools.finish())
            self._check()
            if released := b"".join(self._release(final=True)):
                yield released
            finished = True
            await self._finish()
            if done is not None:
                yield done.render(False)
        except GatewayError as err:
            finished = True
            await self._finish(err)  # on record before the caller hears of the block
            yield self._error_event(err)
        finally:
            if not finished:  # the client went away mid-stream: record it without waiting
                self.ctx.status, self.ctx.error = 499, "client_disconnected"
                self.ctx.upstream_seconds = time.perf_counter() - self.started
                self.gw.audit.writer.submit(self.gw.build_record(self.ctx))
            await self.resp.aclose()

    async def _events(self) -> AsyncIterator[_Event]:
        lines: list[str] = []
        try:
            async for line in self.resp.iter_lines():
                if line:
                    lines.append(line)
                    continue
                if lines:
                    yield _Event(lines)
                    lines = []
            if lines:
                yield _Event(lines)
        except UpstreamHTTPError as exc:
            if isinstance(exc, UpstreamTimeout):
                raise upstream_error(504, "upstream timed out mid-stream", "upstream_timeout") from None
            raise upstream_error(502, "upstream stream broke", "upstream_error") from None

    def _take(self, event: _Event) -> None:
        if isinstance(event.data, dict):
            if event.data.get("usage"):
                self.ctx.usage = usage_of(self.kind, event.data) or self.ctx.usage
            if self.kind == "anthropic" and event.data.get("type") == "message_start":
                self.ctx.usage = usage_of("anthropic", event.data.get("message") or {}) or self.ctx.usage
            slot = stream_delta_slot(self.kind, event.data)
            if slot is not None:
                self.unchecked += slot.text
                if self.seen_chars < _LOG_CAP:
                    self.seen.append(slot.text)
                    self.seen_chars += len(slot.text)
        self.pending.extend(self.tools.take(event) if self.tools is not None else (event,))

    def _check(self) -> None:
        if self.tools is not None and self.unchecked:  # tool calls smuggled in the text
            self.tools.check_text(self.tail + self.unchecked)
            if not self.app.check_responses:
                self.tail, self.unchecked = (self.tail + self.unchecked)[-OVERLAP:], ""
        if not self.unchecked or not self.app.check_responses:
            return
        window = self.tail + self.unchecked
        verdict = self.gw.guarding.verdict(window, "response")
        decision = decide(self.policy, self.ctx.app, self.app, window, verdict, None)
        self.decisions.append(decision)
        self.tail, self.unchecked = window[-OVERLAP:], ""
        if decision.action == "block":
            raise forbidden(
                f"response blocked by policy {decision.policy}: {', '.join(decision.reasons)}",
                "response_blocked",
                policy=decision.policy,
            )

    def _release(self, final: bool) -> list[bytes]:
        out = []
        last_text = None
        if final and self.restorer is not None:
            last_text = max(
                (i for i, e in enumerate(self.pending) if stream_delta_slot(self.kind, e.data) is not None),
                default=None,
            )
        for i, event in enumerate(self.pending):
            slot = stream_delta_slot(self.kind, event.data) if self.restorer is not None else None
            if slot is None:
                out.append(event.render(False))
                continue
            text = self.restorer.feed(slot.text)
            if i == last_text:
                text += self.restorer.flush()
            slot.text = text
            out.append(event.render(True))
        self.pending = []
        return out

    def _error_event(self, err: GatewayError) -> bytes:
        if self.dialect == "anthropic":
            return f"event: error\ndata: {json.dumps(err.anthropic_body())}\n\n".encode()
        return f"data: {json.dumps(err.body())}\n\n".encode()

    async def _finish(self, err: GatewayError | None = None) -> None:
        ctx = self.ctx
        ctx.upstream_seconds = time.perf_counter() - self.started
        if self.decisions:
            ctx.response_verdict = merge_verdicts(self.decisions)
        if self.app.content_logging != "none":
            text = "".join(self.seen)[:_LOG_CAP]
            if self.app.content_logging == "redacted" and text:
                try:
                    text = redact_spans(text, self.gw.guarding.verdict(text, "response").detections, None)
                except Exception:  # noqa: BLE001 - never log unmasked text when masking fails
                    text = "[unavailable: masking failed]"
            ctx.response_log = [text]
        if err is not None:
            ctx.error = err.code
            ctx.status = err.status
            if err.code == "response_blocked":
                ctx.direction, ctx.verdict = "response", ctx.response_verdict or ctx.verdict
                self.gw.metrics.blocks.labels(err.code).inc()
            try:
                await self.gw.record(ctx, fail_open=True)
            except GatewayError:
                pass
            return
        await self.gw.record(ctx, self.app.fail_open)
