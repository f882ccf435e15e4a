"""Infrastructure-as-code discovery: AI cloud resources and self-hosted AI services
declared in Terraform, ARM, Bicep, CloudFormation, Kubernetes, Helm values and
docker-compose, with misconfiguration findings.

`IacScanner` only routes: `wants` looks at the suffix, `scan` asks each format that
handles the suffix (the `FORMATS` registry, in order) whether it claims the text by
a cheap literal sniff, and hands the file to the first that does. Each format lives
in its own module; cloud templates share `emit.py` for assets and findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiposture.discover.base import MalformedInput, ScanOutput, SourceFile
from aiposture.discover.iac import arm, bicep, cloudformation, compose, helm, kubernetes, terraform
from aiposture.discover.iac.emit import emit_template
from aiposture.discover.iac.resource import Template
from aiposture.discover.iac.tf_workloads import emit_workloads


@dataclass(frozen=True)
class IacFormat:
    """One template language: which suffixes it reads, a cheap sniff on the text, and
    a handler that records what the file declares."""

    name: str
    suffixes: frozenset[str]
    claims: Callable[[str, str], bool]  # (file name, text) -> is this file mine?
    handle: Callable[[SourceFile, str, ScanOutput], None]


def _cloud(parse: Callable[[SourceFile, str], Template]) -> Callable[[SourceFile, str, ScanOutput], None]:
    def handle(source: SourceFile, text: str, out: ScanOutput) -> None:
        emit_template(source, parse(source, text), out)

    return handle


def _terraform(source: SourceFile, text: str, out: ScanOutput) -> None:
    """Cloud resources, plus AI workloads deployed with the kubernetes/helm providers."""
    template = terraform.parse(source, text)
    emit_template(source, template, out)
    emit_workloads(source, template, out)


_YAML = frozenset({".yaml", ".yml"})

FORMATS: dict[str, IacFormat] = {
    "terraform": IacFormat("terraform", frozenset({".tf"}), terraform.claims, _terraform),
    "bicep": IacFormat("bicep", frozenset({".bicep"}), bicep.claims, _cloud(bicep.parse)),
    "arm": IacFormat("arm", frozenset({".json"}), arm.claims, _cloud(arm.parse)),
    "cloudformation": IacFormat("cloudformation", _YAML | {".json", ".template"},
                                cloudformation.claims, _cloud(cloudformation.parse)),
    "compose": IacFormat("compose", _YAML, compose.claims, compose.scan),
    "helm": IacFormat("helm", _YAML, helm.claims, helm.scan),
    "kubernetes": IacFormat("kubernetes", _YAML, kubernetes.claims, kubernetes.scan),
}


def _by_suffix() -> dict[str, tuple[IacFormat, ...]]:
    index: dict[str, list[IacFormat]] = {}
    for fmt in FORMATS.values():
        for suffix in fmt.suffixes:
            index.setdefault(suffix, []).append(fmt)
    return {k: tuple(v) for k, v in index.items()}


_BY_SUFFIX = _by_suffix()
_OWN_SUFFIXES = frozenset({".tf", ".bicep"})


class IacScanner:
    """Scanner `iac` (see the module docstring)."""

    name = "iac"

    def wants(self, rel: str, name: str, suffix: str) -> bool:
        return suffix in _BY_SUFFIX

    def scan(self, source: SourceFile, out: ScanOutput) -> None:
        formats = _BY_SUFFIX.get(source.suffix, ())
        if not formats:
            return
        text = source.text()
        if text is None:
            if source.suffix in _OWN_SUFFIXES:  # shared suffixes (.json, .yaml) are others' too
                out.skip(source.rel, "binary or non-UTF-8 file")
            return
        for fmt in formats:
            if fmt.claims(source.name, text):
                try:
                    fmt.handle(source, text, out)
                except RecursionError as exc:  # a structure deeper than any bound we missed
                    raise MalformedInput(f"{fmt.name}: nested too deeply") from exc
                return
