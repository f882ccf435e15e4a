"""Kubernetes manifests (multi-document YAML with `apiVersion`/`kind`).

Containers of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and
CronJobs are matched against the image catalog (`workloads.py`). A workload is
exposed when a Service of type LoadBalancer/NodePort selects its pod labels, or an
Ingress / OpenShift Route sends traffic to a Service that does - within the same
file (the reader sees one file at a time). Chart templates (`{{ ... }}`) are not
rendered; their `values.yaml` is read instead (see `helm.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from aiposture.discover import safe_yaml
from aiposture.discover.base import LineIndex, MalformedInput, ScanOutput, SourceFile
from aiposture.discover.iac.catalog import CustomResourceSpec, catalog
from aiposture.discover.iac.resource import get_path
from aiposture.discover.iac.workloads import Workload, classify, emit

# Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_LABEL_PATHS: dict[str, tuple[str, ...]] = {k: v[:-1] + ("metadata", "labels") if len(v) > 1
                                            else ("metadata", "labels") for k, v in POD_SPEC_PATHS.items()}
_EXPOSED_TYPES = frozenset({"LoadBalancer", "NodePort"})
MAX_DOCUMENTS = 2_000


def claims(name: str, text: str) -> bool:
    return "apiVersion" in text and "kind" in text


def as_list(value: Any) -> list[Any]:
    """A YAML value where a list is expected: anything else counts as empty."""
    return value if isinstance(value, list) else []


def _dig(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def load_documents(source: SourceFile, text: str) -> list[Any]:
    try:
        docs = safe_yaml.load_all(text)
    except (yaml.YAMLError, RecursionError) as exc:
        raise MalformedInput(f"malformed YAML: {str(exc).splitlines()[0][:160]}") from exc
    flat: list[Any] = []
    for doc in docs[:MAX_DOCUMENTS]:
        if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            flat.extend(doc["items"][:MAX_DOCUMENTS])
        else:
            flat.append(doc)
    return flat


@dataclass
class _Service:
    name: str
    namespace: str
    type: str
    selector: dict[str, Any]


def _meta(doc: dict[str, Any]) -> tuple[str, str]:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    return str(meta.get("name") or ""), str(meta.get("namespace") or "")


def _services(docs: list[Any]) -> list[_Service]:
    out = []
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "Service" and isinstance(doc.get("spec"), dict):
            name, ns = _meta(doc)
            spec = doc["spec"]
            selector = spec.get("selector") if isinstance(spec.get("selector"), dict) else {}
            out.append(_Service(name, ns, str(spec.get("type") or "ClusterIP"), selector))
    return out


def _ingress_targets(docs: list[Any]) -> dict[tuple[str, str], str]:
    """(namespace, service name) -> the Ingress/Route that routes outside traffic to it."""
    targets: dict[tuple[str, str], str] = {}
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") not in ("Ingress", "Route"):
            continue
        name, ns = _meta(doc)
        label = f"{doc['kind']}/{name}"
        spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
        backends = [spec.get("defaultBackend"), spec.get("backend"), spec.get("to")]
        for rule in as_list(spec.get("rules")):
            for path in as_list(_dig(rule, ("http", "paths"))):
                backends.append(path.get("backend") if isinstance(path, dict) else None)
        for backend in backends:
            if isinstance(backend, dict):
                svc = _dig(backend, ("service", "name")) or backend.get("serviceName") or backend.get("name")
                if isinstance(svc, str):
                    targets.setdefault((ns, svc), label)
    return targets


def _exposure(labels: dict[str, Any], ns: str, services: list[_Service],
              ingresses: dict[tuple[str, str], str]) -> str | None:
    for svc in services:
        if svc.namespace != ns or not svc.selector:
            continue
        if not all(labels.get(k) == v for k, v in svc.selector.items()):
            continue
        if svc.type in _EXPOSED_TYPES:
            return f"Service/{svc.name} ({svc.type})"
        if (ns, svc.name) in ingresses:
            return f"{ingresses[(ns, svc.name)]} -> Service/{svc.name}"
    return None


def container_env(container: dict[str, Any]) -> dict[str, str]:
    env = {}
    for item in as_list(container.get("env")):
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            value = item.get("value")
            env[item["name"]] = value if isinstance(value, str) else ""
    return env


def container_args(container: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key in ("command", "args"):
        value = container.get(key)
        if isinstance(value, list):
            args.extend(str(v) for v in value if isinstance(v, str | int | float))
        elif isinstance(value, str):
            args.extend(value.split())
    return args


def _doc_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n---")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n---", pos + 1)
    if text.startswith("---") and len(starts) > 1:
        starts.pop(0)
    return starts


def scan(source: SourceFile, text: str, out: ScanOutput) -> None:
    if "{{" in text:
        out.skip(source.rel, "Helm chart template (Go templating) is not rendered; values.yaml is scanned")
        return
    docs = load_documents(source, text)
    services, ingresses = _services(docs), _ingress_targets(docs)
    index, starts = LineIndex(text), _doc_starts(text)
    for n, doc in enumerate(docs):
        kind = doc.get("kind") if isinstance(doc, dict) else None
        start = starts[n] if n < len(starts) else 0
        custom = _custom_resource(doc) if isinstance(kind, str) else None
        if custom is not None:
            _emit_custom(source, text, index, start, doc, custom, out)
            continue
        if not isinstance(kind, str) or kind not in POD_SPEC_PATHS:
            continue
        name, ns = _meta(doc)
        pod = _dig(doc, POD_SPEC_PATHS[kind])
        labels = _dig(doc, _LABEL_PATHS[kind])
        exposure = _exposure(labels if isinstance(labels, dict) else {}, ns, services, ingresses)
        if not isinstance(pod, dict):
            continue
        for container in as_list(pod.get("containers")) + as_list(pod.get("initContainers")):
            if not isinstance(container, dict) or not isinstance(container.get("image"), str):
                continue
            image = container["image"]
            pos = text.find(image, start)
            cname = str(container.get("name") or "")
            emit(source, Workload(
                iac="kubernetes", resource_type=kind, name=name or cname or image,
                address=f"{kind}/{ns + '/' if ns else ''}{name}/{cname}", image=image,
                line=index.line(pos) if pos >= 0 else None, args=container_args(container),
                env=container_env(container), exposure=exposure,
                extra={"namespace": ns} if ns else {},
            ), out)


def _custom_resource(doc: dict[str, Any]) -> CustomResourceSpec | None:
    api = doc.get("apiVersion")
    if not isinstance(api, str):
        return None
    return next((c for c in catalog().custom_resources
                 if c.kind == doc.get("kind") and api.startswith(c.api_group)), None)


def _emit_custom(source: SourceFile, text: str, index: LineIndex, start: int, doc: dict[str, Any],
                 spec: CustomResourceSpec, out: ScanOutput) -> None:
    """A model-serving custom resource (KServe InferenceService): exposed unless the
    label that keeps it cluster-local is set."""
    name, ns = _meta(doc)
    labels = _dig(doc, ("metadata", "labels"))
    labels = labels if isinstance(labels, dict) else {}
    private = bool(spec.private_label) and all(labels.get(k) == v for k, v in spec.private_label.items())
    label = _label_text(spec.private_label)
    exposure = None if private else f"{spec.kind} default ingress (no {label} label)"
    models = [v for p in spec.model_paths for v in [get_path(doc, p)] if isinstance(v, str) and v]
    image = next((v for p in spec.image_paths for v in [get_path(doc, p)] if isinstance(v, str)), "")
    holders = [get_path(doc, p.rpartition(".")[0]) for p in spec.image_paths]
    candidates = [c for h in holders for c in (h if isinstance(h, list) else [h])]
    container = next((c for c in candidates if isinstance(c, dict)), {})
    pos = text.find(f"kind: {spec.kind}", start)
    emit(source, Workload(
        iac="kubernetes", resource_type=spec.kind, name=name or spec.kind,
        address=f"{spec.kind}/{ns + '/' if ns else ''}{name}", image=image,
        line=index.line(pos) if pos >= 0 else None, exposure=exposure, models=models,
        args=container_args(container), env=container_env(container),
        extra={"namespace": ns} if ns else {},
    ), out, spec=None if image and classify(image) else spec.as_image_spec())


def _label_text(label: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in label.items())
