"""Turning an access request into what Cedar evaluates: the principal and resource
entities and the request context, typed as the schema says.

Everything here reads untrusted values (tool names and arguments come from model
output), so every value is bounded and type-checked; a value that does not fit fails
closed: `InputError`, which `AccessPolicy.authorize` turns into a deny that says why.
Typed tool arguments are projected onto the schema's `ToolArguments` record; other
arguments are only named (`argument_names`) and measured (`arguments_bytes`).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from ipaddress import ip_address
from typing import Any

from aiposture.errors import InputError
from aiposture.identity.cedar_catalog import Catalog, ModelInfo, ToolInfo, globs_match

ACTIONS = ("invoke_model", "call_tool")
ENTITY_TYPES = {"user": "User", "app": "App", "agent": "Agent"}
RISK_LEVELS = ("low", "medium", "high", "unknown")
SENSITIVITY = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}
SCOPE_PREFIX = {"invoke_model": "model:", "call_tool": "tool:"}
PREAPPROVED_PREFIX = "preapproved:"
MAX_RESOURCE_CHARS = 256
MAX_ARGUMENTS_BYTES = 64 * 1024
MAX_ARGUMENT_CHARS = 8192
MAX_ARGUMENT_NAMES = 256
MAX_SCOPES = 256
_LONG = (-(2**63), 2**63 - 1)


def principal_status(principal: Any, now: datetime) -> str:
    status_at = getattr(principal, "status_at", None)
    if callable(status_at):
        return str(status_at(now))
    status = getattr(principal, "status", None)
    if isinstance(status, str):
        return status
    return "active" if getattr(principal, "enabled", True) else "disabled"


def principal_key(principal: Any, status: str) -> tuple:
    """A hashable fingerprint of everything the principal entity is built from."""
    attributes = getattr(principal, "attributes", None) or {}
    return (
        principal.kind, principal.name, getattr(principal, "app", None), status,
        getattr(principal, "owner", None), tuple(getattr(principal, "sponsors", None) or ()),
        getattr(principal, "blueprint", None), tuple(getattr(principal, "tools", None) or ()),
        tuple(getattr(principal, "models", None) or ()), tuple(sorted(attributes.items())),
    )


def principal_uid(principal: Any) -> dict:
    kind = ENTITY_TYPES.get(getattr(principal, "kind", None))
    if kind is None:
        raise InputError(f"unknown principal kind {getattr(principal, 'kind', None)!r}: user, app or agent")
    name = getattr(principal, "name", None)
    if not isinstance(name, str) or not name or len(name) > MAX_RESOURCE_CHARS:
        raise InputError("the principal has no usable name")
    return {"type": kind, "id": name}


def principal_entity(principal: Any, status: str) -> dict:
    uid = principal_uid(principal)
    app = getattr(principal, "app", None)
    attributes = getattr(principal, "attributes", None) or {}
    tags = {str(k): (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in attributes.items()}
    parents = [{"type": "App", "id": app}] if app and uid["type"] != "App" else []
    return {
        "uid": uid,
        "attrs": {
            "name": principal.name, "kind": principal.kind, "app": app or principal.name, "status": status,
            "owner": getattr(principal, "owner", None) or "",
            "sponsors": list(getattr(principal, "sponsors", None) or ()),
            "blueprint": getattr(principal, "blueprint", None) or "",
            "tools": list(getattr(principal, "tools", None) or ()),
            "models": list(getattr(principal, "models", None) or ()),
        },
        "parents": parents,
        "tags": tags,
    }


def check_resource(action: str, resource: Any) -> str:
    if action not in ACTIONS:
        raise InputError(f"unknown action {action!r}: invoke_model or call_tool")
    if not isinstance(resource, str) or not resource.strip():
        raise InputError("the resource (model id or tool name) is empty")
    if len(resource) > MAX_RESOURCE_CHARS:
        raise InputError(f"the resource name is longer than {MAX_RESOURCE_CHARS} characters")
    return resource


def resource_entity(action: str, name: str, catalog: Catalog) -> tuple[dict, ModelInfo | ToolInfo]:
    if action == "invoke_model":
        model = catalog.model(name)
        attrs = {"name": name, "provider": model.provider, "external": model.external, "approved": model.approved}
        parents = [{"type": "ModelGroup", "id": g} for g in model.groups]
        return {"uid": {"type": "Model", "id": name}, "attrs": attrs, "parents": parents}, model
    tool = catalog.tool(name)
    attrs = {"name": name, "server": tool.server, "risk": tool.risk, "high_risk": bool(tool.risk)}
    parents = [{"type": "ToolGroup", "id": g} for g in tool.groups]
    return {"uid": {"type": "Tool", "id": name}, "attrs": attrs, "parents": parents}, tool


def granted_by_registry(principal: Any, action: str, name: str) -> bool:
    """The principal's registered globs cover the resource (tools default to none)."""
    globs = getattr(principal, "tools" if action == "call_tool" else "models", None) or ()
    return globs_match(tuple(globs), name)


def parse_time(value: Any) -> datetime:
    if value is None:
        return datetime.now(UTC)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InputError(f"time {value!r} is not an ISO 8601 date and time") from None
    else:
        raise InputError("time must be an ISO 8601 date and time")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _scopes(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(s, str) and len(s) <= 512 for s in value):
        raise InputError("scopes must be a list of strings")
    if len(value) > MAX_SCOPES:
        raise InputError(f"more than {MAX_SCOPES} scopes")
    return list(value)


def scope_covers(scopes: list[str], prefix: str, name: str) -> bool:
    globs = tuple(s[len(prefix):] for s in scopes if s.startswith(prefix))
    return globs_match(globs, name)


def _sensitivity(value: Any) -> tuple[int, str]:
    if value is None:
        return 0, "public"
    if isinstance(value, str) and value.lower() in SENSITIVITY:
        return SENSITIVITY[value.lower()], value.lower()
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
        return value, next(k for k, v in SENSITIVITY.items() if v == value)
    raise InputError(f"sensitivity {value!r}: one of {', '.join(SENSITIVITY)} (or 0-3)")


def _flag(context: dict, name: str) -> bool:
    value = context.get(name, False)
    if not isinstance(value, bool):
        raise InputError(f"{name} must be true or false")
    return value


def _on_behalf_of(value: Any) -> str:
    if value is None:
        return ""
    name = value if isinstance(value, str) else getattr(value, "name", None)
    if not isinstance(name, str) or len(name) > 256:
        raise InputError("on_behalf_of must be a user name")
    return name


def _long(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise InputError(f"argument {name!r} must be a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"argument {name!r} must be a finite number")
        value = math.ceil(value)  # round towards the stricter side of a "> limit" rule
    elif isinstance(value, str):
        try:
            value = math.ceil(Decimal(value.strip()))
        except (InvalidOperation, ValueError, OverflowError):
            raise InputError(f"argument {name!r} must be a number, not {value[:40]!r}") from None
    if not isinstance(value, int) or not _LONG[0] <= value <= _LONG[1]:
        raise InputError(f"argument {name!r} must be a number within 64 bits")
    return value


def _typed(name: str, kind: str, value: Any) -> Any:
    if kind == "Long":
        return _long(name, value)
    if kind == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise InputError(f"argument {name!r} must be true or false")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise InputError(f"argument {name!r} must be a string (a list or object here is refused)")
    if len(value) > MAX_ARGUMENT_CHARS:
        raise InputError(f"argument {name!r} is longer than {MAX_ARGUMENT_CHARS} characters")
    return value


def project_arguments(arguments: Any, types: dict[str, str]) -> tuple[dict, list[str], int]:
    if arguments is None:
        return {}, [], 2
    if not isinstance(arguments, dict):
        raise InputError("tool arguments must be a JSON object")
    if len(arguments) > MAX_ARGUMENT_NAMES:
        raise InputError(f"more than {MAX_ARGUMENT_NAMES} tool arguments")
    try:
        size = len(json.dumps(arguments, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError, RecursionError):
        raise InputError("tool arguments are not plain JSON") from None
    if size > MAX_ARGUMENTS_BYTES:
        raise InputError(f"tool arguments are {size} bytes, more than {MAX_ARGUMENTS_BYTES}")
    names = [str(k)[:MAX_RESOURCE_CHARS] for k in arguments]
    record = {k: _typed(k, types[k], v) for k, v in arguments.items() if k in types and v is not None}
    return record, names, size


def build_context(req: Any, action: str, now: datetime, catalog: Catalog, types: dict[str, str],
                  granted: bool) -> dict:
    ctx = req.context or {}
    if not isinstance(ctx, dict):
        raise InputError("the request context must be an object")
    local = now.astimezone(catalog.zone)
    risk = ctx.get("user_risk") or "unknown"
    if risk not in RISK_LEVELS:
        raise InputError(f"user_risk {risk!r}: one of {', '.join(RISK_LEVELS)}")
    rank, label = _sensitivity(ctx.get("sensitivity"))
    scopes = _scopes(ctx.get("scopes"))
    record, names, size = project_arguments(req.arguments, types)
    on_behalf_of = _on_behalf_of(ctx.get("on_behalf_of"))
    out = {
        "date": local.year * 10000 + local.month * 100 + local.day,
        "hour": local.hour, "weekday": local.isoweekday(),
        "user_risk": risk, "terms_accepted": _flag(ctx, "terms_accepted"),
        "sensitivity": rank, "sensitivity_label": label,
        "scopes": scopes, "in_scope": scope_covers(scopes, SCOPE_PREFIX[action], req.resource),
        "granted": granted,
        "preapproved": action == "call_tool" and scope_covers(scopes, PREAPPROVED_PREFIX, req.resource),
        "on_behalf_of": on_behalf_of, "delegated": bool(on_behalf_of),
        "arguments": record, "argument_names": names, "arguments_bytes": size,
    }
    source_ip = ctx.get("source_ip")
    if source_ip not in (None, ""):
        try:
            out["source_ip"] = {"__extn": {"fn": "ip", "arg": str(ip_address(str(source_ip)[:64]))}}
        except ValueError:
            raise InputError(f"source_ip {str(source_ip)[:64]!r} is not an IP address") from None
    return out


def context_value(value: Any) -> Any:
    """A context value as a person reads it (extension values as their text)."""
    if isinstance(value, dict) and "__extn" in value:
        return value["__extn"]["arg"]
    return value
