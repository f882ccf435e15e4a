"""docker-compose files: each service's `image` is matched against the catalog.
Ports published without a host address bind every interface; they are recorded as
`published_ports` (compose usually runs on a laptop, so this is not, by itself, an
internet exposure finding)."""

from __future__ import annotations

from typing import Any

from aiposture.discover.base import LineIndex, ScanOutput, SourceFile
from aiposture.discover.iac.kubernetes import as_list, load_documents
from aiposture.discover.iac.workloads import Workload, emit

_NAMES = frozenset({"docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"})
_LOOPBACK = ("127.0.0.1:", "localhost:", "[::1]:", "::1:")


def claims(name: str, text: str) -> bool:
    low = name.lower()
    return (low in _NAMES or low.startswith(("docker-compose", "compose."))) and "services" in text


def _env(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): v if isinstance(v, str) else "" for k, v in value.items()}
    env = {}
    for item in as_list(value):
        if isinstance(item, str):
            key, _, val = item.partition("=")
            env[key] = val
    return env


def _published(ports: Any) -> list[str]:
    out = []
    for port in as_list(ports):
        text = str(port.get("published", "")) if isinstance(port, dict) else str(port)
        if isinstance(port, dict) and port.get("host_ip") in ("127.0.0.1", "::1", "localhost"):
            continue
        if ":" in text and not text.startswith(_LOOPBACK) or isinstance(port, dict) and text:
            out.append(text)
    return out


def scan(source: SourceFile, text: str, out: ScanOutput) -> None:
    docs = load_documents(source, text)
    root = docs[0] if docs else None
    services = root.get("services") if isinstance(root, dict) else None
    if not isinstance(services, dict):
        return
    index = LineIndex(text)
    for name, svc in services.items():
        if not isinstance(svc, dict) or not isinstance(svc.get("image"), str):
            continue
        image = svc["image"]
        command = svc.get("command")
        args = [str(a) for a in command] if isinstance(command, list) else str(command or "").split()
        pos = text.find(image)
        ports = _published(svc.get("ports"))
        emit(source, Workload(
            iac="compose", resource_type="compose-service", name=str(name), address=f"services.{name}",
            image=image, line=index.line(pos) if pos >= 0 else None, args=args,
            env=_env(svc.get("environment")), extra={"published_ports": ports} if ports else {},
        ), out)
