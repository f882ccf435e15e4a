"""Render resource bodies as real template text (Terraform, ARM, Bicep, CloudFormation
YAML/JSON) and scan it, so check tests exercise each parser end to end."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aiposture.discover.base import ScanOutput, SourceFile
from aiposture.discover.iac import IacScanner


@dataclass(frozen=True)
class Ref:
    """A reference to another resource of the same template (rendered per language)."""

    rtype: str
    name: str


Resource = tuple[str, str, dict[str, Any]]  # (type, name, body)


def scan_text(tmp_path: Path, rel: str, text: str | bytes) -> ScanOutput:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    out = ScanOutput()
    scanner = IacScanner()
    assert scanner.wants(rel, path.name, path.suffix.lower())
    scanner.scan(SourceFile(path=path, rel=rel, size=path.stat().st_size), out)
    return out


# --- Terraform ---------------------------------------------------------------------------
def _hcl_value(value: Any) -> str:
    if isinstance(value, Ref):
        return f"{value.rtype}.{value.name}.id"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_hcl_value(v) for v in value) + "]"
    return json.dumps(value)


def _hcl_body(body: dict[str, Any], indent: str) -> list[str]:
    lines = []
    for key, value in body.items():
        if isinstance(value, dict):  # nested dicts are written as blocks
            lines.append(f"{indent}{key} {{")
            lines.extend(_hcl_body(value, indent + "  "))
            lines.append(f"{indent}}}")
        else:
            lines.append(f"{indent}{key} = {_hcl_value(value)}")
    return lines


def render_terraform(resources: list[Resource]) -> str:
    out = []
    for rtype, name, body in resources:
        out.append(f'resource "{rtype}" "{name}" {{')
        out.extend(_hcl_body({"name": name, **body}, "  "))
        out.append("}\n")
    return "\n".join(out)


# --- ARM ---------------------------------------------------------------------------------
def _arm_value(value: Any) -> Any:
    if isinstance(value, Ref):
        return f"[resourceId('{value.rtype}', '{value.name}')]"
    if isinstance(value, dict):
        return {k: _arm_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_arm_value(v) for v in value]
    return value


def render_arm(resources: list[Resource]) -> str:
    doc = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [{"type": t, "apiVersion": "2024-01-01", "name": n, **_arm_value(b)}
                      for t, n, b in resources],
    }
    return json.dumps(doc, indent=2)


# --- Bicep -------------------------------------------------------------------------------
def _bicep_value(value: Any, indent: str) -> str:
    if isinstance(value, Ref):
        return f"{value.name}.id"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        inner = [f"{indent}  {_bicep_value(v, indent + '  ')}" for v in value]
        return "[\n" + "\n".join(inner) + f"\n{indent}]"
    inner = [f"{indent}  {k}: {_bicep_value(v, indent + '  ')}" for k, v in value.items()]
    return "{\n" + "\n".join(inner) + f"\n{indent}}}"


def render_bicep(resources: list[Resource]) -> str:
    out = ["param location string = resourceGroup().location", ""]
    for rtype, name, body in resources:
        out.append(f"resource {name} '{rtype}@2024-01-01' = "
                   + _bicep_value({"name": name, "location": "westeurope", **body}, ""))
        out.append("")
    return "\n".join(out)


# --- CloudFormation ----------------------------------------------------------------------
class _CfnDumper(yaml.SafeDumper):
    pass


_CfnDumper.add_representer(Ref, lambda d, r: d.represent_scalar("!Ref", r.name))


def _cfn_json_value(value: Any) -> Any:
    if isinstance(value, Ref):
        return {"Ref": value.name}
    if isinstance(value, dict):
        return {k: _cfn_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cfn_json_value(v) for v in value]
    return value


def _cfn_doc(resources: list[Resource], convert: Any) -> dict[str, Any]:
    return {"AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {n: {"Type": t, "Properties": convert(b)} for t, n, b in resources}}


def render_cfn_yaml(resources: list[Resource]) -> str:
    return yaml.dump(_cfn_doc(resources, lambda b: b), Dumper=_CfnDumper, sort_keys=False)


def render_cfn_json(resources: list[Resource]) -> str:
    return json.dumps(_cfn_doc(resources, _cfn_json_value), indent=2)


# (format, file name, renderer) for each family of resource types
RENDERERS: dict[str, tuple[str, Any]] = {
    "terraform": ("main.tf", render_terraform),
    "arm": ("azuredeploy.json", render_arm),
    "bicep": ("main.bicep", render_bicep),
    "cfn-yaml": ("template.yaml", render_cfn_yaml),
    "cfn-json": ("template.json", render_cfn_json),
}


def formats_for(rtype: str) -> list[str]:
    if rtype.startswith("Microsoft."):
        return ["arm", "bicep"]
    if rtype.startswith("AWS::"):
        return ["cfn-yaml", "cfn-json"]
    return ["terraform"]
