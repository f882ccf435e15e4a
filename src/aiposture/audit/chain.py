"""How an audit event is hashed.

`hash = sha256(hash_prev + body)` where `body` is the canonical JSON (sorted keys,
no spaces, UTF-8) of the event without its two hash fields. Putting the previous
hash in front of the body (rather than inside it) binds every event to its
predecessor while letting `verify` rehash the stored body bytes as they are: no JSON
parsing per row, which is what makes a million-event verification take seconds.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
EVENT_FIELDS = ("seq", "time", "principal", "end_user", "app", "model", "direction", "verdict", "data")


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, non-ASCII kept as UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(hash_prev: str, body: str) -> str:
    return hashlib.sha256((hash_prev + body).encode("utf-8")).hexdigest()


def utc_now_text() -> str:
    """Timestamps as fixed-width ISO 8601 UTC text: they sort as text in any database."""
    return format_time(datetime.now(UTC))


def format_time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_body(seq: int, record: dict[str, Any]) -> str:
    """The canonical body of event `seq` built from a submitted record."""
    event = {name: record.get(name) for name in EVENT_FIELDS}
    event["seq"] = seq
    event["verdict"] = event["verdict"] or {}
    event["data"] = event["data"] or {}
    return canonical_json(event)


def detectors_of(record: dict[str, Any]) -> str:
    """The `,detector,type,` search column: every detector and type named in the verdict(s)."""
    names: set[str] = set()
    for verdict in _verdicts(record):
        names.update(verdict.get("scores", {}).keys())
        for det in verdict.get("detections", []) or []:
            names.add(str(det.get("detector", "")))
            names.add(str(det.get("type", "")))
    names.discard("")
    return "," + ",".join(sorted(names)) + "," if names else ""


def _verdicts(record: dict[str, Any]) -> list[dict[str, Any]]:
    found = [record.get("verdict") or {}]
    for value in (record.get("data") or {}).values():
        if isinstance(value, dict) and "action" in value and ("scores" in value or "detections" in value):
            found.append(value)
    return found
