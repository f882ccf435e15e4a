"""Turn a parsed template into assets and findings, the same way for every cloud
template language: catalogued resource types become `cloud-resource` (or
`vector-store`) assets scoped by file and resource address, models named by a
deployment become `model` assets, relations become `depends_on`, and failed checks
become findings that point at the resource's line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiposture.discover.base import ScanOutput, SourceFile
from aiposture.discover.iac.catalog import ResourceSpec, catalog, find_resource
from aiposture.discover.iac.checks import evaluate
from aiposture.discover.iac.resource import MISSING, IacResource, Template, get_path, is_unknown
from aiposture.discover.rules import make_finding
from aiposture.model import Asset


@dataclass
class _Entry:
    resource: IacResource
    spec: ResourceSpec
    asset: Asset


def _spec_for(resource: IacResource) -> ResourceSpec | None:
    spec = find_resource(resource.type)
    if spec is not None and not _matches(resource, spec.when):
        return None
    if spec is None and resource.type == "module":
        module = catalog().module(str(resource.extra.get("module_source", "")))
        if module is not None:
            spec = ResourceSpec(type="module", provider=module.provider, service=module.service)
    return spec


def _matches(resource: IacResource, when: dict[str, list[str]]) -> bool:
    for path, allowed in when.items():
        value = get_path(resource.body, path)
        if is_unknown(value):
            continue  # decided at deploy time: keep it in the inventory
        if value is MISSING or str(value).lower() not in {a.lower() for a in allowed}:
            return False
    return True


def _literal(value: Any) -> Any:
    """Scalars worth copying into asset properties (never unknowns or structures)."""
    if value is MISSING or value is None or is_unknown(value) or isinstance(value, dict | list):
        return None
    return value


def _asset(source: SourceFile, template: Template, resource: IacResource, spec: ResourceSpec) -> Asset:
    props: dict[str, Any] = {
        "resource_type": resource.type,
        "iac": template.iac,
        "provider": spec.provider,
        "service": spec.service,
        "address": resource.address,
        "public": False,
        "depends_on": [],
    }
    for prop, path in spec.copy_.items():
        value = _literal(get_path(resource.body, path))
        if value is not None:
            props[prop] = value
    props.update(resource.extra)
    name = resource.name
    if not name:
        for key in spec.name_keys:
            value = _literal(get_path(resource.body, key))
            if isinstance(value, str) and value:
                name = value
                break
    return Asset.make(spec.asset, name or resource.address, f"{source.rel}#{resource.address}",
                      provider=spec.provider, locations=[source.loc(resource.line)], properties=props)


def _model(source: SourceFile, entry: _Entry) -> Asset | None:
    spec = entry.spec.model
    if spec is None:
        return None
    name = next((v for p in spec.name for v in [_literal(get_path(entry.resource.body, p))]
                 if isinstance(v, str) and v), None)
    if not name:
        return None
    if "foundation-model/" in name:  # a Bedrock model ARN names the model after this
        name = name.rsplit("foundation-model/", 1)[1]
    version = next((str(v) for p in spec.version for v in [_literal(get_path(entry.resource.body, p))]
                    if v is not None), None)
    return Asset.make("model", name, "", version=version, provider=spec.provider,
                      locations=[source.loc(entry.resource.line)],
                      properties={"provider": spec.provider, "declared_in": "iac"})


def emit_template(source: SourceFile, template: Template, out: ScanOutput) -> None:
    entries = []
    for resource in template.resources:
        spec = _spec_for(resource)
        if spec is not None:
            entries.append(_Entry(resource, spec, _asset(source, template, resource, spec)))
    by_address = {e.resource.address: e for e in entries}
    by_resource = {id(e.resource): e for e in entries}
    for entry in entries:
        deps: list[str] = []
        parent = by_address.get(entry.resource.parent or "")
        if parent is not None:
            deps.append(parent.asset.id)
        for target in template.references(entry.resource):
            other = by_resource.get(id(target))
            if other is not None and other is not entry and other.asset.id not in deps:
                deps.append(other.asset.id)
        model = _model(source, entry)
        if model is not None:
            out.asset(model)
            deps.append(model.id)
        entry.asset.properties["depends_on"] = deps
        _findings(source, template, entry, out)
        out.asset(entry.asset)


def _findings(source: SourceFile, template: Template, entry: _Entry, out: ScanOutput) -> None:
    loc = source.loc(entry.resource.line)
    for outcome in evaluate(entry.resource, template):
        if outcome.check.exposes:
            entry.asset.properties["public"] = entry.asset.properties["public"] or not outcome.passed
        if outcome.passed:
            continue
        evidence = f"{entry.resource.address}: {outcome.check.message} ({outcome.detail})"
        out.finding(make_finding(outcome.check.rule, loc, asset=entry.asset.id, evidence=evidence,
                                 discriminator=outcome.check.id))
