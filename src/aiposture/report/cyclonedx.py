"""CycloneDX 1.6 AI bill of materials, built with cyclonedx-python-lib.

Mapping (one place, data-like): SDKs, frameworks and client libraries are
`library`/`framework` components with a purl; hosted and local models are
`machine-learning-model` components (model files with their SHA-256); datasets are
`data`; agents are `application`; endpoints, hosted model APIs, cloud resources,
MCP servers and SaaS apps go in the BOM's top-level `services`. Where each asset
was seen is recorded as `evidence.occurrences` (file and line). Relations from
`properties.depends_on` and model -> provider API become `dependencies`.

The library does not model `modelCard` yet, so it is added to the serialised JSON
afterwards; `validate_bom` checks a document with the library's strict 1.6
validator (the test suite does it for every shape we emit, `discover --validate` on
demand).
"""

from __future__ import annotations

import json
from typing import Any

from cyclonedx.model import HashAlgorithm, HashType, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.service import Service
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from packageurl import PackageURL

from aiposture import __version__
from aiposture.model import Asset, ScanResult

COMPONENT_TYPES = {
    "sdk": ComponentType.LIBRARY,
    "framework": ComponentType.FRAMEWORK,
    "model": ComponentType.MACHINE_LEARNING_MODEL,
    "model-file": ComponentType.MACHINE_LEARNING_MODEL,
    "dataset": ComponentType.DATA,
    "agent": ComponentType.APPLICATION,
}
SERVICE_KINDS = {"endpoint", "cloud-resource", "mcp-server", "saas-app"}
PURL_TYPES = {"pypi": "pypi", "npm": "npm", "maven": "maven", "nuget": "nuget", "golang": "golang", "go": "golang"}
MAX_OCCURRENCES = 50


class BomValidationError(ValueError):
    """Our BOM failed strict CycloneDX 1.6 validation: a bug, reported not hidden."""


def _purl(asset: Asset) -> PackageURL | None:
    ecosystem = PURL_TYPES.get(str(asset.properties.get("ecosystem", "")).lower())
    package = asset.properties.get("package")
    if not ecosystem or not package:
        return None
    namespace, name = None, str(package)
    if ecosystem == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    elif ecosystem in ("npm", "golang") and "/" in name:
        namespace, _, name = name.rpartition("/")
    return PackageURL(type=ecosystem, namespace=namespace, name=name, version=asset.version or None)


def _properties(asset: Asset) -> list[Property]:
    props = [Property(name="aiposture:kind", value=asset.kind)]
    for key, value in sorted(asset.properties.items()):
        if key in ("depends_on", "sha256"):
            continue
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        props.append(Property(name=f"aiposture:{key}", value=text[:500]))
    return props


def _evidence(asset: Asset) -> ComponentEvidence | None:
    occurrences = [Occurrence(location=loc.path, line=loc.line) for loc in asset.locations[:MAX_OCCURRENCES]]
    return ComponentEvidence(occurrences=occurrences) if occurrences else None


def _component(asset: Asset) -> Component:
    kind = asset.kind
    if kind == "vector-store":
        kind = "sdk"
    hashes = []
    if asset.properties.get("sha256"):
        hashes.append(HashType(alg=HashAlgorithm.SHA_256, content=str(asset.properties["sha256"])))
    return Component(
        name=asset.name, type=COMPONENT_TYPES[kind], version=asset.version, bom_ref=asset.id,
        purl=_purl(asset), hashes=hashes, properties=_properties(asset), evidence=_evidence(asset),
        publisher=asset.provider,
    )


def _endpoints(asset: Asset) -> list[XsUri]:
    urls = [asset.properties.get("url")] if asset.properties.get("url") else []
    if asset.kind == "endpoint" and asset.name.startswith(("http://", "https://")):
        urls.append(asset.name)
    return [XsUri(u) for u in dict.fromkeys(urls) if isinstance(u, str)]


def _service(asset: Asset) -> Service:
    return Service(
        name=asset.name, bom_ref=asset.id, version=asset.version,
        provider=OrganizationalEntity(name=asset.provider) if asset.provider else None,
        endpoints=_endpoints(asset), properties=_properties(asset),
    )


def _is_service(asset: Asset) -> bool:
    if asset.kind in SERVICE_KINDS:
        return True
    return asset.kind == "vector-store" and not asset.properties.get("package")


def _provider_service(provider: str) -> Service:
    return Service(name=f"{provider} model API", bom_ref=f"provider-api:{provider}",
                   provider=OrganizationalEntity(name=provider),
                   properties=[Property(name="aiposture:kind", value="hosted-model-api")])


def build_bom(result: ScanResult) -> Bom:
    bom = Bom(metadata=BomMetaData(tools=ToolRepository(components=[
        Component(name="aiposture", version=__version__, type=ComponentType.APPLICATION)])))
    nodes: dict[str, Component | Service] = {}
    provider_apis: dict[str, Service] = {}
    for asset in result.assets:
        node = _service(asset) if _is_service(asset) else _component(asset)
        (bom.services if isinstance(node, Service) else bom.components).add(node)
        nodes[asset.id] = node
    for asset in result.assets:
        targets = [nodes[d] for d in asset.properties.get("depends_on", []) or [] if d in nodes]
        if asset.kind == "model" and asset.provider and not asset.properties.get("local"):
            api = provider_apis.get(asset.provider)
            if api is None:
                api = provider_apis[asset.provider] = _provider_service(asset.provider)
                bom.services.add(api)
            targets.append(api)
        if targets:
            bom.register_dependency(nodes[asset.id], targets)
    return bom


def _model_card(asset: Asset) -> dict[str, Any]:
    props = asset.properties
    params: dict[str, Any] = {}
    if props.get("task"):
        params["task"] = str(props["task"])
    if props.get("architecture"):
        params["architectureFamily"] = str(props["architecture"])
    card: dict[str, Any] = {"properties": [{"name": "aiposture:provider", "value": asset.provider or "unknown"}]}
    if props.get("format"):
        card["properties"].append({"name": "aiposture:format", "value": str(props["format"])})
    if props.get("verdict"):
        card["properties"].append({"name": "aiposture:scan-verdict", "value": str(props["verdict"])})
    if params:
        card["modelParameters"] = params
    return card


class CycloneDxWriter:
    name = "cyclonedx"

    def render(self, result: ScanResult) -> str:
        document = json.loads(JsonV1Dot6(build_bom(result)).output_as_string())
        by_id = {a.id: a for a in result.assets}
        for component in document.get("components", []):
            asset = by_id.get(component.get("bom-ref", ""))
            if asset is not None and asset.kind in ("model", "model-file"):
                component["modelCard"] = _model_card(asset)
        return json.dumps(document, indent=2)


def validate_bom(text: str) -> None:
    """Check a BOM against the strict CycloneDX 1.6 schema; raise BomValidationError if not.
    Kept out of `render`: importing the validator alone costs about ten seconds (its
    format checkers build parsers at import), so tests and `--validate` pay for it,
    not every scan."""
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        raise BomValidationError(f"generated BOM is not valid CycloneDX 1.6: {error}")
