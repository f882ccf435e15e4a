"""Helm chart values (`values*.yaml`).

Charts differ, but images are written one of two ways anywhere in the tree:
`image: repo:tag` or `image: {registry, repository, tag, digest}`. Each such image is
matched against the catalog; the surrounding block (and its ancestors, nearest
first) says whether it is exposed (`service.type` LoadBalancer/NodePort, or
`ingress.enabled: true`) and which model it serves (`args`, `extraArgs`, `env`,
`model`/`modelId`). The walk is bounded in depth and node count.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aiposture.discover.base import LineIndex, ScanOutput, SourceFile
from aiposture.discover.iac.kubernetes import load_documents
from aiposture.discover.iac.workloads import Workload, emit

MAX_NODES = 20_000
MAX_DEPTH = 40
_MODEL_KEYS = ("model", "modelId", "modelName", "model_id")


def claims(name: str, text: str) -> bool:
    low = name.lower()
    return low.startswith("values") and low.endswith((".yaml", ".yml")) and "image" in text


def _image_of(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict):
        repo = value.get("repository") or value.get("name")
        if not isinstance(repo, str) or not repo:
            return None
        registry = value.get("registry")
        image = f"{registry}/{repo}" if isinstance(registry, str) and registry else repo
        tag, digest = value.get("tag"), value.get("digest")
        if isinstance(digest, str) and digest:
            return f"{image}@{digest}"
        if isinstance(tag, str | int | float) and str(tag):
            return f"{image}:{tag}"
        return image
    return None


def _blocks(root: Any) -> Iterator[tuple[list[str], list[dict[str, Any]]]]:
    """(path, ancestors-with-self) for every mapping that holds an `image`."""
    stack: list[tuple[Any, list[str], list[dict[str, Any]]]] = [(root, [], [])]
    seen = 0
    while stack and seen < MAX_NODES:
        node, path, chain = stack.pop()
        seen += 1
        if not isinstance(node, dict) or len(path) > MAX_DEPTH:
            continue
        chain = chain + [node]
        if "image" in node:
            yield path, chain
        for key, child in node.items():
            if isinstance(child, dict):
                stack.append((child, path + [str(key)], chain))


def _exposure(chain: list[dict[str, Any]]) -> str | None:
    for node in reversed(chain):
        service, ingress = node.get("service"), node.get("ingress")
        if isinstance(service, dict) and service.get("type") in ("LoadBalancer", "NodePort"):
            return f"service.type {service['type']}"
        if isinstance(ingress, dict) and ingress.get("enabled") is True:
            return "ingress.enabled"
        says_service = isinstance(service, dict) and "type" in service
        if says_service or (isinstance(ingress, dict) and "enabled" in ingress):
            return None  # the nearest block that says how it is served decides
    return None


def _args_env(node: dict[str, Any]) -> tuple[list[str], dict[str, str], list[str]]:
    args: list[str] = []
    for key in ("command", "args", "extraArgs"):
        value = node.get(key)
        if isinstance(value, list):
            args.extend(str(v) for v in value if isinstance(v, str | int | float))
        elif isinstance(value, str):
            args.extend(value.split())
    env: dict[str, str] = {}
    raw = node.get("env") or node.get("extraEnv")
    if isinstance(raw, dict):
        env = {str(k): v if isinstance(v, str) else "" for k, v in raw.items()}
    elif isinstance(raw, list):
        env = {i["name"]: i.get("value") if isinstance(i.get("value"), str) else ""
               for i in raw if isinstance(i, dict) and isinstance(i.get("name"), str)}
    models = [node[key] for key in _MODEL_KEYS if isinstance(node.get(key), str) and node[key]]
    return args, env, models


def scan(source: SourceFile, text: str, out: ScanOutput) -> None:
    docs = load_documents(source, text)
    root = docs[0] if docs else None
    if not isinstance(root, dict):
        return
    index = LineIndex(text)
    for path, chain in _blocks(root):
        node = chain[-1]
        image = _image_of(node["image"])
        if image is None:
            continue
        raw = node["image"]
        needle = (raw.get("repository") or raw.get("name")) if isinstance(raw, dict) else image
        pos = text.find(str(needle))
        args, env, models = _args_env(node)
        address = ".".join(path + ["image"])
        emit(source, Workload(
            iac="helm", resource_type="helm-values", name=".".join(path) or source.name,
            address=address, image=image, line=index.line(pos) if pos >= 0 else None,
            args=args, env=env, exposure=_exposure(chain), models=models,
        ), out)
