"""Self-hosted AI services deployed *through Terraform*: the kubernetes provider's
workload resources (`kubernetes_deployment`, `_stateful_set`, `_daemonset`, `_pod`,
`_job`, `_cron_job`, with or without `_v1`) and `helm_release` of known charts.

The same image catalog and `workloads.emit` as for YAML manifests apply; a workload
is exposed when a `kubernetes_service` of type LoadBalancer/NodePort in the same file
selects its pod labels, and a chart when a `set` block makes its service
LoadBalancer/NodePort or enables its ingress.
"""

from __future__ import annotations

from typing import Any

from aiposture.discover.base import ScanOutput, SourceFile
from aiposture.discover.iac.catalog import catalog
from aiposture.discover.iac.resource import MISSING, IacResource, Template, get_path, is_unknown
from aiposture.discover.iac.workloads import Workload, emit
from aiposture.discover.rules import make_finding

# Terraform type (without `_v1`) -> where it keeps its pod spec and pod labels.
POD_PATHS: dict[str, tuple[str, str]] = {
    "kubernetes_pod": ("spec", "metadata.labels"),
    "kubernetes_deployment": ("spec.template.spec", "spec.template.metadata.labels"),
    "kubernetes_stateful_set": ("spec.template.spec", "spec.template.metadata.labels"),
    "kubernetes_daemonset": ("spec.template.spec", "spec.template.metadata.labels"),
    "kubernetes_replication_controller": ("spec.template.spec", "spec.template.metadata.labels"),
    "kubernetes_job": ("spec.template.spec", "spec.template.metadata.labels"),
    "kubernetes_cron_job": ("spec.job_template.spec.template.spec",
                            "spec.job_template.spec.template.metadata.labels"),
}
_EXPOSED = ("LoadBalancer", "NodePort")


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _blocks(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [i for i in items if isinstance(i, dict)]


def _literal(value: Any) -> str | None:
    return value if isinstance(value, str) and not is_unknown(value) else None


def _services(template: Template) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for r in template.resources:
        if r.type.removesuffix("_v1") == "kubernetes_service":
            kind = _literal(get_path(r.body, "spec.type")) or "ClusterIP"
            selector = _first(get_path(r.body, "spec.selector"))
            out.append((r.address, kind, selector if isinstance(selector, dict) else {}))
    return out


def _container_args(container: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key in ("command", "args"):
        value = container.get(key)
        if isinstance(value, list):
            args.extend(v for v in value if isinstance(v, str) and not is_unknown(v))
    return args


def _container_env(container: dict[str, Any]) -> dict[str, str]:
    env = {}
    for block in _blocks(container.get("env")):
        name = _literal(block.get("name"))
        if name:
            env[name] = _literal(block.get("value")) or ""
    return env


def _pod_workloads(source: SourceFile, r: IacResource, services: list, out: ScanOutput) -> None:
    spec_path, label_path = POD_PATHS[r.type.removesuffix("_v1")]
    pod = _first(get_path(r.body, spec_path))
    if not isinstance(pod, dict):
        return
    labels = _first(get_path(r.body, label_path))
    labels = labels if isinstance(labels, dict) else {}
    exposure = next((f"{addr} ({kind})" for addr, kind, sel in services
                     if kind in _EXPOSED and sel and all(labels.get(k) == v for k, v in sel.items())), None)
    name = _literal(get_path(r.body, "metadata.name")) or r.address
    for container in _blocks(pod.get("container")) + _blocks(pod.get("init_container")):
        image = _literal(container.get("image"))
        if image:
            emit(source, Workload(
                iac="terraform", resource_type=r.type, name=name,
                address=f"{r.address}/{_literal(container.get('name')) or ''}", image=image, line=r.line,
                args=_container_args(container), env=_container_env(container), exposure=exposure,
            ), out)


def _helm_release(source: SourceFile, r: IacResource, out: ScanOutput) -> None:
    chart = _literal(r.body.get("chart"))
    spec = next((c for c in catalog().helm_charts if chart and chart.rsplit("/", 1)[-1] == c.chart), None)
    if spec is None:
        return
    sets = {(_literal(b.get("name")) or ""): b.get("value") for b in _blocks(r.body.get("set"))}
    exposure = None
    if str(sets.get("service.type", "")) in _EXPOSED:
        exposure = f"set service.type {sets['service.type']}"
    elif str(sets.get("ingress.enabled", "")).lower() == "true":
        exposure = "set ingress.enabled"
    version = _literal(r.body.get("version"))
    asset = emit(source, Workload(
        iac="terraform", resource_type="helm_release", name=_literal(r.body.get("name")) or r.address,
        address=r.address, image="", line=r.line, exposure=exposure,
        extra={"chart": chart, "chart_version": version, "repository": _literal(r.body.get("repository"))},
    ), out, spec=spec.as_image_spec())
    if asset is not None and get_path(r.body, "version") is MISSING:
        out.finding(make_finding("AIP-IAC-008", source.loc(r.line), asset=asset.id,
                                 evidence=f"{r.address}: chart {chart} has no version"))


def emit_workloads(source: SourceFile, template: Template, out: ScanOutput) -> None:
    services: list | None = None
    for r in template.resources:
        base = r.type.removesuffix("_v1")
        if base in POD_PATHS:
            services = _services(template) if services is None else services
            _pod_workloads(source, r, services, out)
        elif r.type == "helm_release" and get_path(r.body, "chart") is not MISSING:
            _helm_release(source, r, out)
