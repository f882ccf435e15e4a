"""AI service endpoints in code, config and env files (`data/discover/endpoints.yaml`).

A URL becomes an `endpoint` asset when its host is a known AI service, its port is a
known self-hosted model server (Ollama's 11434), or it is the value of a variable that
names an AI endpoint (OPENAI_BASE_URL, AZURE_OPENAI_ENDPOINT, OLLAMA_HOST, ...). The
asset keeps scheme, host, port and path only: user-info and query strings are dropped,
because that is where URLs carry credentials (`https://user:key@host`, `?api-key=`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import re2
from pydantic import BaseModel, ConfigDict, Field, field_validator

from aiposture.discover.catalogue import load_data_yaml
from aiposture.discover.rules import make_finding
from aiposture.model import Asset, Finding, Location

_URL = r"""\bhttps?://[^\s"'<>`(){}\[\],;\\|^]{3,300}"""
_BIND_ALL = {"0.0.0.0", "::", "[::]", "*"}



def _check_re2(pattern: str) -> None:
    """Validators must raise ValueError for pydantic to report a bad pattern."""
    try:
        re2.compile(pattern)
    except re2.error as exc:
        raise ValueError(f"invalid RE2 pattern {pattern!r}: {exc}") from exc

class HostRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    provider: str
    pattern: str
    example: str  # a host the pattern matches (checked by the endpoint test)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        _check_re2(value)
        return value


class PortRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    provider: str
    port: int = Field(ge=1, le=65535)


class VariableRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    provider: str


class EndpointKnowledge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hints: list[str] = Field(min_length=1)
    hosts: list[HostRule]
    ports: list[PortRule]
    variables: list[VariableRule]


@dataclass(frozen=True)
class EndpointRef:
    url: str  # normalised: scheme://host[:port][/path], no user-info, query or fragment
    host: str
    port: int | None
    scheme: str
    provider: str
    offset: int
    variable: str | None = None

    @property
    def local(self) -> bool:
        return is_local_host(self.host)

    @property
    def binds_all_interfaces(self) -> bool:
        return self.host in _BIND_ALL


def is_local_host(host: str) -> bool:
    """Loopback, private, link-local, or a name that only resolves inside a network
    (single label like a compose service, .local/.internal/.svc)."""
    host = host.strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or host.endswith((".local", ".internal", ".localhost", ".svc",
                                                  ".cluster.local", ".lan", ".home.arpa"))
    return address.is_private or address.is_loopback or address.is_link_local or address.is_unspecified


class EndpointMatcher:
    def __init__(self, knowledge: EndpointKnowledge) -> None:
        self.url = re2.compile(_URL)
        self.hints = re2.compile("(?i)" + "|".join(re2.escape(h) for h in knowledge.hints))
        self.hosts = [(rule.provider, re2.compile(rule.pattern)) for rule in knowledge.hosts]
        self.ports = {rule.port: rule.provider for rule in knowledge.ports}
        self.variables = {rule.name: rule.provider for rule in knowledge.variables}

    def provider_of(self, host: str, port: int | None) -> str | None:
        for provider, pattern in self.hosts:
            if pattern.search(host):
                return provider
        return self.ports.get(port) if port is not None else None

    def find_urls(self, text: str) -> Iterator[EndpointRef]:
        """Endpoints of known AI services among the URLs in `text`."""
        if "://" not in text or self.hints.search(text) is None:
            return
        for match in self.url.finditer(text):
            ref = self._parse(match.group(0), match.start(), None, None)
            if ref is not None:
                yield ref

    def from_variable(self, name: str, value: str, offset: int) -> EndpointRef | None:
        """The endpoint named by an env/config variable, known host or not."""
        provider = self.variables.get(name.upper())
        if provider is None or not value or value[0] in "$%{<(":  # unset or a ${TEMPLATE}
            return None
        if "://" not in value:
            value = "http://" + value
        return self._parse(value, offset, provider, name.upper())

    def _parse(self, raw: str, offset: int, provider: str | None, variable: str | None) -> EndpointRef | None:
        raw = raw.rstrip(".:'\"")
        try:
            parts = urlsplit(raw)
            host = (parts.hostname or "").lower()
            port = parts.port
        except ValueError:
            return None
        if not host or parts.scheme not in ("http", "https"):
            return None
        provider = self.provider_of(host, port) or provider
        if provider is None:
            return None
        netloc = f"[{host}]" if ":" in host else host
        if port is not None:
            netloc += f":{port}"
        path = parts.path.rstrip("/")[:200]
        url = f"{parts.scheme}://{netloc}{path}"
        return EndpointRef(url, host, port, parts.scheme, provider, offset, variable)


@cache
def endpoint_matcher() -> EndpointMatcher:
    data = load_data_yaml("endpoints.yaml")
    return EndpointMatcher(EndpointKnowledge.model_validate(data))


def endpoint_asset(ref: EndpointRef, location: Location) -> Asset:
    """One asset per endpoint URL (scope = URL), wherever it is named."""
    return Asset.make(
        "endpoint",
        ref.url,
        ref.url,
        provider=ref.provider,
        locations=[location],
        properties={"url": ref.url, "host": ref.host, "provider": ref.provider},
    )


def endpoint_findings(ref: EndpointRef, asset: Asset, location: Location, where: str = "") -> list[Finding]:
    """Risks visible from the endpoint alone: plain HTTP to a remote host, a model
    server bound to every interface."""
    findings: list[Finding] = []
    if ref.scheme == "http" and not ref.local:
        findings.append(make_finding("AIP-CODE-002", location, asset=asset.id,
                                     evidence=f"{ref.url}{where}"))
    if ref.binds_all_interfaces and ref.variable:
        findings.append(make_finding("AIP-CODE-003", location, asset=asset.id,
                                     evidence=f"{ref.variable}={ref.host}{where}"))
    return findings
