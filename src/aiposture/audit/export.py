"""Export formats for SIEMs: JSON lines, OCSF API Activity (class 6003) with the
`ai_operation` profile, and CEF for older collectors. One function per format,
chosen from an explicit table."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from aiposture import __version__

OCSF_VERSION = "1.5.0"
_SEVERITY = {"block": (4, "High"), "redact": (2, "Low"), "allow": (1, "Informational")}
_CEF_SEVERITY = {"block": 8, "redact": 5, "allow": 2}


def _epoch_ms(when: str) -> int:
    return int(datetime.strptime(when, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000) if when else 0


def to_jsonl(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, sort_keys=True)


def to_ocsf(event: dict[str, Any]) -> dict[str, Any]:
    """One OCSF 'API Activity' event (category 6 Application Activity, class 6003)."""
    verdict = event.get("verdict") or {}
    data = event.get("data") or {}
    action = verdict.get("action") or "allow"
    severity_id, severity = _SEVERITY.get(action, (0, "Unknown"))
    blocked = action == "block"
    usage = data.get("usage") or {}
    return {
        "class_uid": 6003,
        "class_name": "API Activity",
        "category_uid": 6,
        "category_name": "Application Activity",
        "activity_id": 99,
        "activity_name": "Invoke",
        "type_uid": 600399,
        "type_name": "API Activity: Invoke",
        "time": _epoch_ms(event.get("time", "")),
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 2 if blocked else 1,
        "status": "Failure" if blocked else "Success",
        "status_detail": verdict.get("reason") or "",
        "action_id": 2 if blocked else 1,
        "action": "Denied" if blocked else "Allowed",
        "disposition_id": 2 if blocked else 1,
        "disposition": "Blocked" if blocked else "Allowed",
        "message": f"{data.get('route', 'model call')} {action}",
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["ai_operation"],
            "uid": str(event.get("seq")),
            "product": {"name": "aiposture gateway", "vendor_name": "aiposture", "version": __version__},
            "log_name": "audit",
            "sequence": event.get("seq"),
        },
        "actor": {
            "user": {"name": event.get("principal"), "type": data.get("principal_kind")},
            "app_name": event.get("app"),
            **({"invoked_by": event.get("end_user")} if event.get("end_user") else {}),
        },
        "api": {
            "operation": data.get("route"),
            "service": {"name": data.get("upstream")},
            "request": {"uid": data.get("request_id")},
            "response": {"code": data.get("status")},
        },
        "src_endpoint": {"ip": data.get("client_ip")},
        "ai_model": {"name": event.get("model"), "ai_provider": data.get("upstream")},
        "message_context": {
            "prompt_tokens": usage.get("prompt_tokens"),
            "completion_tokens": usage.get("completion_tokens"),
            "total_tokens": usage.get("total_tokens"),
        },
        "unmapped": {
            "direction": event.get("direction"),
            "verdict": verdict,
            "latency_ms": data.get("latency_ms"),
            "hash": event.get("hash"),
            "hash_prev": event.get("hash_prev"),
        },
    }


def _cef_header(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|")


def _cef_ext(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("=", "\\=").replace("\r", "\\r").replace("\n", "\\n")


def to_cef(event: dict[str, Any]) -> str:
    verdict = event.get("verdict") or {}
    data = event.get("data") or {}
    action = verdict.get("action") or "allow"
    detectors = ",".join(sorted((verdict.get("scores") or {}).keys()))
    ext = {
        "rt": _epoch_ms(event.get("time", "")),
        "suser": event.get("principal"),
        "duser": event.get("end_user"),
        "app": event.get("app"),
        "act": action,
        "request": data.get("route"),
        "src": data.get("client_ip"),
        "outcome": data.get("status"),
        "reason": verdict.get("reason"),
        "cs1Label": "model",
        "cs1": event.get("model"),
        "cs2Label": "detectors",
        "cs2": detectors,
        "cs3Label": "policy",
        "cs3": verdict.get("policy"),
        "cs4Label": "hash",
        "cs4": event.get("hash"),
        "cn1Label": "seq",
        "cn1": event.get("seq"),
    }
    body = " ".join(f"{k}={_cef_ext(v)}" for k, v in ext.items() if v not in (None, ""))
    name = f"AI model call {action}"
    return (
        f"CEF:0|aiposture|gateway|{_cef_header(__version__)}|aiposture-{_cef_header(action)}|"
        f"{_cef_header(name)}|{_CEF_SEVERITY.get(action, 3)}|{body}"
    )


FORMATS: dict[str, Callable[[dict[str, Any]], str]] = {
    "jsonl": to_jsonl,
    "json": to_jsonl,
    "ocsf": lambda e: json.dumps(to_ocsf(e), ensure_ascii=False),
    "cef": to_cef,
}


def render(events: Iterable[dict[str, Any]], fmt: str) -> Iterator[str]:
    """One line per event in the named format."""
    try:
        writer = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}") from None
    for event in events:
        yield writer(event)
