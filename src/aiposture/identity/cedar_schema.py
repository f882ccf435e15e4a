"""The Cedar schema the access policies are validated against.

It ships as `data/identity/aiposture.cedarschema.json` (Cedar's JSON schema format, so
the code can read which tool arguments are typed); a policy folder may carry its own
`aiposture.cedarschema.json` instead, e.g. to declare more tool arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cedarpy

from aiposture.errors import InputError
from aiposture.shipped import read_data_text

SCHEMA_FILE = "aiposture.cedarschema.json"
MAX_SCHEMA_BYTES = 1 << 20
# Cedar types a tool argument may be declared with, and the Python values they take
ARGUMENT_TYPES = ("String", "Long", "Boolean")


@dataclass(frozen=True)
class CedarSchema:
    handle: cedarpy.Schema
    arguments: dict[str, str]  # typed tool argument name -> "String" | "Long" | "Boolean"
    source: str  # where it was read from


def _arguments(doc: dict, source: str) -> dict[str, str]:
    try:
        record = doc[""]["commonTypes"]["ToolArguments"]["attributes"]
    except (KeyError, TypeError):
        raise InputError(f"{source}: the schema must declare the common type ToolArguments") from None
    out = {}
    for name, spec in record.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in ARGUMENT_TYPES or spec.get("required", True):
            raise InputError(
                f"{source}: ToolArguments.{name} must be an optional String, Long or Boolean (required: false)"
            )
        out[name] = kind
    return out


def parse_schema(text: str, source: str) -> CedarSchema:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise InputError(f"{source}: JSON nested too deeply") from None
    if not isinstance(doc, dict):
        raise InputError(f"{source}: a Cedar JSON schema is an object")
    try:
        handle = cedarpy.Schema.from_json_str(text)
    except ValueError as exc:
        raise InputError(f"{source}: not a valid Cedar schema: {str(exc).splitlines()[0]}") from None
    return CedarSchema(handle=handle, arguments=_arguments(doc, source), source=source)


def load_schema(folder: Path | None = None) -> CedarSchema:
    """The folder's own schema if it has one, else the shipped one."""
    if folder is not None and (folder / SCHEMA_FILE).is_file():
        path = folder / SCHEMA_FILE
        if path.stat().st_size > MAX_SCHEMA_BYTES:
            raise InputError(f"{path}: larger than {MAX_SCHEMA_BYTES} bytes")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None
        return parse_schema(text, str(path))
    return parse_schema(read_data_text("identity", SCHEMA_FILE), f"shipped {SCHEMA_FILE}")
