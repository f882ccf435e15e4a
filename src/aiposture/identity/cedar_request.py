"""An access request written as JSON (by `aiposture policy test`, a CI policy test
file, or an API): validated strictly, one-line errors.

    {"principal": {"name": "invoice-agent", "kind": "agent", "tools": ["search_kb"]},
     "action": "call_tool", "resource": "payments/refund",
     "arguments": {"amount": 120}, "context": {"source_ip": "10.0.0.5"},
     "expect": "approval"}          # optional: allow | deny | approval

A file holds one such object or a list of them (at most `MAX_REQUESTS`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aiposture.errors import InputError
from aiposture.identity.access import AccessRequest

MAX_REQUEST_FILE_BYTES = 4 << 20
MAX_REQUESTS = 10_000
Expectation = Literal["allow", "deny", "approval"]


class RequestPrincipal(BaseModel):
    """The principal fields the access policy reads, for a request written by hand."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=256)
    kind: Literal["user", "app", "agent"] = "agent"
    app: str | None = None
    enabled: bool = True
    status: Literal["active", "disabled", "expired", "attestation-overdue"] = "active"
    owner: str | None = None
    sponsors: list[str] = Field(default_factory=list)
    blueprint: str | None = None
    tools: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=lambda: ["*"])
    attributes: dict[str, str | int | bool] = Field(default_factory=dict)


class RequestDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    principal: RequestPrincipal
    action: Literal["invoke_model", "call_tool"]
    resource: str = Field(min_length=1, max_length=256)
    arguments: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    expect: Expectation | None = None
    name: str | None = None  # a label for the case

    def to_request(self) -> AccessRequest:
        return AccessRequest(self.principal, self.action, self.resource, self.arguments, self.context)


def _one_line(exc: ValidationError, where: str) -> InputError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "request"
    return InputError(f"{where}: {loc}: {err['msg']}")


def parse_request_docs(value: Any, where: str = "request") -> list[RequestDoc]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise InputError(f"{where}: no requests (an empty list tests nothing)")
    if len(items) > MAX_REQUESTS:
        raise InputError(f"{where}: more than {MAX_REQUESTS} requests")
    out = []
    for i, item in enumerate(items):
        label = f"{where}[{i}]" if isinstance(value, list) else where
        if not isinstance(item, dict):
            raise InputError(f"{label}: a request is a JSON object")
        try:
            out.append(RequestDoc.model_validate(item))
        except ValidationError as exc:
            raise _one_line(exc, label) from None
    return out


def read_request_file(path: Path) -> list[RequestDoc]:
    try:
        if path.stat().st_size > MAX_REQUEST_FILE_BYTES:
            raise InputError(f"{path}: larger than {MAX_REQUEST_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a request file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None
    return parse_request_docs(value, str(path))


def outcome(allowed: bool, needs_approval: bool) -> Expectation:
    return "approval" if allowed and needs_approval else ("allow" if allowed else "deny")
