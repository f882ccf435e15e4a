"""AWS CloudFormation templates (YAML or JSON, incl. SAM).

YAML templates use short-form intrinsic tags (`!Ref X`, `!GetAtt X.Arn`, `!Sub ...`).
A plain safe loader rejects them; an unsafe one must never run. `CfnLoader` is a
bounded *safe* loader with one multi-constructor that turns every `!Tag value` into
the long form `{"Fn::Tag": value}` (`{"Ref": X}` for `!Ref`) - plain data, no
objects built from tags. `Ref`s to parameters with a literal `Default` are
resolved; other intrinsics stay unknown. Resource lines are found by searching for
the logical id as a mapping key, in template order.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from aiposture.discover import safe_yaml
from aiposture.discover.base import LineIndex, MalformedInput, SourceFile
from aiposture.discover.iac.resource import Expr, IacResource, Template

_MAX_RESOURCES = 5_000


def claims(name: str, text: str) -> bool:
    return "AWSTemplateFormatVersion" in text or ("Resources" in text and "AWS::" in text)


def _tag_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value = _tag_value(loader, node)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


class CfnLoader(safe_yaml.BoundedSafeLoader):
    """Bounded safe loader that reads CloudFormation short-form tags as data."""


class CfnFastLoader(yaml.CSafeLoader):
    """The C loader with the same tag handling, used when the text is harmless."""


for _cls in (CfnLoader, CfnFastLoader):
    _cls.add_multi_constructor("!", _intrinsic)


def _load(source: SourceFile, text: str) -> Any:
    try:
        if text.lstrip().startswith("{"):
            return json.loads(text)
        return safe_yaml.load_one(text, loader=CfnLoader, fast=CfnFastLoader)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        kind = "JSON" if text.lstrip().startswith("{") else "YAML"
        raise MalformedInput(f"malformed {kind}: {str(exc).splitlines()[0][:160]}") from exc


class _Resolver:
    def __init__(self, doc: dict[str, Any]) -> None:
        params = doc.get("Parameters") if isinstance(doc.get("Parameters"), dict) else {}
        self.defaults = {k: v["Default"] for k, v in params.items()
                         if isinstance(v, dict) and not isinstance(v.get("Default", {}), dict | list)}

    def value(self, node: Any) -> Any:
        if isinstance(node, dict):
            if len(node) == 1:
                (key, arg), = node.items()
                if key == "Ref" and isinstance(arg, str) and arg in self.defaults:
                    return self.defaults[arg]
                if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
                    return Expr(json.dumps(node, default=str))
            return {str(k): self.value(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.value(v) for v in node]
        return node


def parse(source: SourceFile, text: str) -> Template:
    doc = _load(source, text)
    resources = _resources_section(doc)
    if resources is None:
        return Template(iac="cloudformation", resources=[])
    resolver = _Resolver(doc)
    index = LineIndex(text)
    cursor = 0
    out: list[IacResource] = []
    for logical_id, raw in list(resources.items())[:_MAX_RESOURCES]:
        if not isinstance(raw, dict) or not isinstance(raw.get("Type"), str):
            continue
        props = raw.get("Properties") if isinstance(raw.get("Properties"), dict) else {}
        body = resolver.value(props)
        pos = _find_key(text, str(logical_id), cursor)
        line = index.line(pos) if pos >= 0 else None
        cursor = pos + 1 if pos >= 0 else cursor
        depends = raw.get("DependsOn")
        extra: dict[str, Any] = {}
        if depends:
            body = {**body, "DependsOn": depends}  # references count for relations, not checks
        if "Condition" in raw:
            extra["condition"] = str(raw["Condition"])
        out.append(IacResource(type=raw["Type"], address=str(logical_id), body=body, line=line,
                               refs=(str(logical_id),), extra=extra))
    return Template(iac="cloudformation", resources=out)


def _resources_section(doc: Any) -> dict[str, Any] | None:
    """`Resources` of a template, or `resources.Resources` of a Serverless Framework file."""
    if not isinstance(doc, dict):
        return None
    section = doc.get("Resources")
    if not isinstance(section, dict) and isinstance(doc.get("resources"), dict):
        section = doc["resources"].get("Resources")
    return section if isinstance(section, dict) else None


def _find_key(text: str, key: str, start: int) -> int:
    """The offset of `key` written as a mapping key (`Key:` or `"Key":`) at or after start."""
    for needle in (f"{key}:", f'"{key}"'):
        pos = text.find(needle, start)
        while pos >= 0 and not _is_key_at(text, pos, needle):
            pos = text.find(needle, pos + 1)
        if pos >= 0:
            return pos
    return -1


def _is_key_at(text: str, pos: int, needle: str) -> bool:
    if pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_"):
        return False
    if needle.endswith(":"):
        return True
    rest = text[pos + len(needle):pos + len(needle) + 16].lstrip()
    return rest.startswith(":")
