"""Self-hosted AI services found by container image, shared by the Kubernetes, Helm
values and docker-compose readers: classify an image against the catalog, pull the
served model from the server's flags or environment, and record the workload as an
asset with exposure and pinning findings.

Environment values are read only to learn a model id; they are never copied into
asset properties (only their names are)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiposture.discover.base import ScanOutput, SourceFile
from aiposture.discover.iac.catalog import ImageSpec, catalog
from aiposture.discover.rules import make_finding
from aiposture.model import Asset

_EXPOSURE_RULE = {"model-server": "AIP-IAC-006", "vector-store": "AIP-IAC-007"}


@dataclass
class Workload:
    iac: str  # kubernetes | helm | compose
    resource_type: str  # Deployment, StatefulSet, Pod, ..., helm-values, compose-service
    name: str  # what a person calls it (workload / service / values key)
    address: str  # unique in the file
    image: str
    line: int | None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    exposure: str | None = None  # how it is reachable from outside, if it is
    models: list[str] = field(default_factory=list)  # models named outright (Helm `model:` keys)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImageRef:
    repository: str  # registry host stripped, lower case
    tag: str | None
    digest: str | None


def parse_image(image: str) -> ImageRef:
    ref = image.strip().lower()
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref, tag = ref.rsplit(":", 1)
    parts = ref.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if parts and parts[0] == "library":
        parts = parts[1:]
    return ImageRef("/".join(parts), tag, digest)


def classify(image: str) -> ImageSpec | None:
    ref = parse_image(image)
    repo = ref.repository
    last = repo.rsplit("/", 1)[-1]
    for spec in catalog().images:
        for pattern in spec.match:
            p = pattern.lower()
            if p.endswith("/"):
                hit = repo.startswith(p)
            elif "/" in p:
                hit = repo == p or repo.endswith("/" + p)
            else:
                hit = last == p
            if hit:
                return spec
    return None


def served_models(spec: ImageSpec, args: list[str], env: dict[str, str]) -> list[str]:
    """Model ids named by the server's command line (`--model X`, `--model=X`,
    `serve X`) or environment."""
    found: list[str] = []
    flags = set(spec.model_flags)
    for i, arg in enumerate(args):
        head, eq, tail = arg.partition("=")
        if eq and head in flags and tail:
            found.append(tail)
        elif (arg in flags or arg in spec.model_after) and i + 1 < len(args):
            nxt = args[i + 1]
            if not nxt.startswith("-"):
                found.append(nxt)
    found.extend(env[name] for name in spec.model_env if env.get(name))
    return [m.strip() for m in dict.fromkeys(found) if m.strip() and "$" not in m]


def _model_asset(source: SourceFile, model: str, line: int | None) -> Asset | None:
    model = model.removeprefix("hf://")
    if model.startswith(("/", ".", "~")) or "{{" in model or "://" in model:
        return None  # a path or storage URI, not a model id; kept as a property instead
    provider = "huggingface" if model.count("/") == 1 else "self-hosted"
    # `local`: served by a self-hosted server, not reached through a provider's API
    return Asset.make("model", model, "", provider=provider, locations=[source.loc(line)],
                      properties={"provider": provider, "declared_in": "iac", "local": True})


def emit(source: SourceFile, work: Workload, out: ScanOutput, spec: ImageSpec | None = None) -> Asset | None:
    """Record one workload; `spec` is given for custom resources (no image to match)."""
    spec = spec or classify(work.image)
    if spec is None:
        return None
    ref = parse_image(work.image)
    models = list(dict.fromkeys([*work.models, *served_models(spec, work.args, work.env)]))
    deps = []
    for model in models:
        asset = _model_asset(source, model, work.line)
        if asset is not None:
            out.asset(asset)
            deps.append(asset.id)
    props: dict[str, Any] = {
        "resource_type": work.resource_type,
        "iac": work.iac,
        "provider": "self-hosted",
        "service": spec.label,
        "server": spec.server,
        "category": spec.category,
        "address": work.address,
        "image": work.image or None,
        "image_tag": ref.tag or ("@" + ref.digest if ref.digest else None),
        "public": work.exposure is not None,
        "exposure": work.exposure,
        "models": models,
        "env": sorted(work.env),
        "depends_on": deps,
        **work.extra,
    }
    kind = "vector-store" if spec.category == "vector-store" else "cloud-resource"
    asset = Asset.make(kind, work.name, f"{source.rel}#{work.address}", provider="self-hosted",
                       locations=[source.loc(work.line)], properties=props)
    loc = source.loc(work.line)
    if work.exposure is not None:
        what = f"{spec.label}, {work.image}" if work.image else spec.label
        evidence = f"{work.address} ({what}) exposed via {work.exposure}"
        out.finding(make_finding(_EXPOSURE_RULE[spec.category], loc, asset=asset.id, evidence=evidence))
    if work.image and ref.digest is None and ref.tag in (None, "latest"):
        out.finding(make_finding("AIP-IAC-008", loc, asset=asset.id,
                                 evidence=f"{work.address}: image {work.image} is not pinned"))
    out.asset(asset)
    return asset
