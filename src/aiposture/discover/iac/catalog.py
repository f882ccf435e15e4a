"""The IaC knowledge as data: which resource types, modules and container images are
AI assets (`data/discover/iac/resources.yaml`) and which misconfigurations to check
(`data/discover/iac/checks.yaml`). Both are validated by pydantic once per process,
so a typo in a data file fails loudly at load, not silently at scan time."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from aiposture.discover import safe_yaml

Provider = Literal["azure", "aws", "gcp"]


class ModelSpec(BaseModel):
    """Where a resource names the model it serves (dotted paths into its body)."""

    name: list[str]
    version: list[str] = Field(default_factory=list)
    provider: str


class ResourceSpec(BaseModel):
    """One AI resource type (exact `type`) or family (`prefix`)."""

    type: str | None = None
    prefix: str | None = None
    provider: Provider
    service: str
    asset: Literal["cloud-resource", "vector-store"] = "cloud-resource"
    name_keys: list[str] = Field(default_factory=lambda: ["name"])
    copy_: dict[str, str] = Field(default_factory=dict, alias="copy")  # property -> body path
    when: dict[str, list[str]] = Field(default_factory=dict)  # body path -> values it must have
    model: ModelSpec | None = None

    @model_validator(mode="after")
    def _one_key(self) -> ResourceSpec:
        if (self.type is None) == (self.prefix is None):
            raise ValueError("a resource entry needs exactly one of type / prefix")
        return self


class ModuleSpec(BaseModel):
    """A Terraform module source known to create AI resources."""

    source: str  # registry address or substring of a git/URL source
    provider: Provider
    service: str


class ImageSpec(BaseModel):
    """A container image that is a self-hosted model server or vector database."""

    match: list[str]  # repository paths (registry host stripped) or final path segments
    server: str
    category: Literal["model-server", "vector-store"]
    label: str
    model_flags: list[str] = Field(default_factory=list)  # CLI flags whose value is the model
    model_after: list[str] = Field(default_factory=list)  # sub-commands followed by the model (`serve`)
    model_env: list[str] = Field(default_factory=list)  # env vars whose value is the model


class CustomResourceSpec(BaseModel):
    """A Kubernetes custom resource that serves a model (KServe InferenceService...)."""

    kind: str
    api_group: str  # apiVersion prefix, e.g. serving.kserve.io
    server: str
    category: Literal["model-server", "vector-store"]
    label: str
    model_paths: list[str] = Field(default_factory=list)  # dotted paths to model ids / storage URIs
    image_paths: list[str] = Field(default_factory=list)  # dotted paths to container images
    # A label that, set to the given value, keeps it inside the cluster; absent = exposed.
    private_label: dict[str, str] = Field(default_factory=dict)

    def as_image_spec(self) -> ImageSpec:
        return ImageSpec(match=[], server=self.server, category=self.category, label=self.label)


class HelmChartSpec(BaseModel):
    """A Helm chart (by chart name) that deploys a model server or vector database,
    recognised in Terraform `helm_release` resources."""

    chart: str
    server: str
    category: Literal["model-server", "vector-store"]
    label: str

    def as_image_spec(self) -> ImageSpec:
        return ImageSpec(match=[], server=self.server, category=self.category, label=self.label)


class Catalog(BaseModel):
    resources: list[ResourceSpec]
    helm_charts: list[HelmChartSpec] = Field(default_factory=list)
    modules: list[ModuleSpec] = Field(default_factory=list)
    images: list[ImageSpec] = Field(default_factory=list)
    custom_resources: list[CustomResourceSpec] = Field(default_factory=list)

    def module(self, source: str) -> ModuleSpec | None:
        low = source.lower()
        return next((m for m in self.modules if m.source.lower() in low), None)


@cache
def _resource_index() -> tuple[dict[str, ResourceSpec], tuple[ResourceSpec, ...]]:
    entries = catalog().resources
    exact = {r.type.lower(): r for r in entries if r.type}
    prefixes = sorted((r for r in entries if r.prefix), key=lambda r: -len(r.prefix or ""))
    return exact, tuple(prefixes)


def find_resource(rtype: str) -> ResourceSpec | None:
    """The catalog entry for a resource type (exact match first, then longest prefix)."""
    exact, prefixes = _resource_index()
    low = rtype.lower()
    hit = exact.get(low)
    if hit is None:
        hit = next((r for r in prefixes if low.startswith((r.prefix or "").lower())), None)
    return hit


class Examples(BaseModel):
    """A passing and a failing body for the check (tests render them in every
    template language the check's resource types appear in)."""

    pass_: dict[str, Any] = Field(alias="pass")
    fail: dict[str, Any]


class CheckSpec(BaseModel):
    """A Checkov-style check: on resources of `resource_types`, the value at the first
    present of `keys` must be one of `expected` (`equals`), some key must be set
    (`present`), or a resource of `by_types` must reference it (`referenced_by`)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]+$")
    rule: str = Field(pattern=r"^AIP-IAC-\d{3}$")
    resource_types: list[str] = Field(min_length=1)
    test: Literal["equals", "present", "referenced_by"]
    keys: list[str] = Field(default_factory=list)
    expected: list[str | bool | int] = Field(default_factory=list)
    missing: Literal["pass", "fail"] = "fail"
    by_types: list[str] = Field(default_factory=list)
    when: dict[str, list[str]] = Field(default_factory=dict)
    exposes: bool = False  # a failure means the resource is reachable from the internet
    message: str
    examples: Examples

    @model_validator(mode="after")
    def _shape(self) -> CheckSpec:
        if self.test in ("equals", "present") and not self.keys:
            raise ValueError(f"check {self.id}: `{self.test}` needs keys")
        if self.test == "equals" and not self.expected:
            raise ValueError(f"check {self.id}: `equals` needs expected values")
        if self.test == "referenced_by" and not self.by_types:
            raise ValueError(f"check {self.id}: `referenced_by` needs by_types")
        return self


def _read(name: str) -> Any:
    folder = resources.files("aiposture.data").joinpath("discover", "iac")
    return safe_yaml.load_one(folder.joinpath(name).read_text(encoding="utf-8"))


@cache
def catalog() -> Catalog:
    return Catalog.model_validate(_read("resources.yaml"))


@cache
def checks() -> tuple[CheckSpec, ...]:
    items = [CheckSpec.model_validate(item) for item in _read("checks.yaml")]
    ids = [c.id for c in items]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate IaC check ids: {', '.join(sorted(dupes))}")
    return tuple(items)


@cache
def checks_by_type() -> dict[str, tuple[CheckSpec, ...]]:
    index: dict[str, list[CheckSpec]] = {}
    for check in checks():
        for rtype in check.resource_types:
            index.setdefault(rtype.lower(), []).append(check)
    return {k: tuple(v) for k, v in index.items()}


@cache
def terraform_markers() -> tuple[str, ...]:
    """Literal strings one of which a `.tf` file must contain to be worth parsing:
    Terraform resource types/prefixes of the catalog and known module sources."""
    names = [r.type or r.prefix or "" for r in catalog().resources]
    tf = [n for n in names if n and "::" not in n and "/" not in n]
    images = [m for i in catalog().images for m in i.match if len(m) > 4]  # kubernetes_* containers
    charts = [f'"{c.chart}"' for c in catalog().helm_charts]  # helm_release chart = "..."
    return tuple(dict.fromkeys([*tf, *(m.source for m in catalog().modules), *images, *charts]))
