"""The AI SDK catalogue (`data/discover/sdks.yaml`) and the lookups built from it.

The catalogue is data; this module validates it once and builds two indexes:
- module names per language (an import statement's module -> its SDK entry), matched by
  the longest prefix on the language's separator, so `openai.types.chat` finds `openai`;
- package names per ecosystem (a manifest's dependency -> its SDK entry), matched exactly
  after the ecosystem's name normalisation, then by the few "prefix*" names.

It also turns a hit into an `Asset` in one place, so that imports, calls and manifests of
the same package merge into one inventory entry: name = package in its ecosystem, scope =
ecosystem (pypi `openai` and npm `openai` stay two components, each with its own purl).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import re2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aiposture.model import Asset, Location

Ecosystem = Literal["pypi", "npm", "maven", "nuget", "golang"]
Language = Literal["python", "javascript", "java", "csharp", "go"]

ECOSYSTEM_OF: dict[str, str] = {
    "python": "pypi",
    "javascript": "npm",
    "java": "maven",
    "csharp": "nuget",
    "go": "golang",
}
SEPARATOR: dict[str, str] = {"python": ".", "javascript": "/", "java": ".", "csharp": ".", "go": "/"}
_GO_MAJOR = re2.compile(r"^v[0-9]+$")



def _check_re2(pattern: str) -> None:
    """Validators must raise ValueError for pydantic to report a bad pattern."""
    try:
        re2.compile(pattern)
    except re2.error as exc:
        raise ValueError(f"invalid RE2 pattern {pattern!r}: {exc}") from exc

class CallPattern(BaseModel):
    """A call that reveals an SDK the import does not (boto3 -> Bedrock)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    hint: str = Field(min_length=2)
    pattern: str
    package: str
    example: str  # a line the pattern must find (checked by the catalogue test)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        _check_re2(value)
        return value


class SdkEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    name: str
    kind: Literal["sdk", "framework", "vector-store"]
    provider: str
    model_provider: str | None = None
    packages: dict[Ecosystem, list[str]] = Field(min_length=1)
    imports: dict[Language, list[str]] = Field(default_factory=dict)
    calls: dict[Language, list[CallPattern]] = Field(default_factory=dict)

    def first_package(self, ecosystem: str) -> str | None:
        for name in self.packages.get(ecosystem, []):  # type: ignore[call-overload]
            if not name.endswith("*"):
                return name
        return None


class Catalogue(BaseModel):
    entries: list[SdkEntry]

    @field_validator("entries")
    @classmethod
    def _unique(cls, entries: list[SdkEntry]) -> list[SdkEntry]:
        seen: set[str] = set()
        for entry in entries:
            if entry.id in seen:
                raise ValueError(f"duplicate SDK id {entry.id}")
            seen.add(entry.id)
        return entries


def normalise_package(ecosystem: str, name: str) -> str:
    """Names as each registry compares them: PEP 503 for PyPI, case-folded for
    npm/NuGet/Maven; Go module paths are case-sensitive but folded here too (an
    import path differing only in case is the same module for our purpose)."""
    name = name.strip().lower()
    if ecosystem == "pypi":
        return "-".join(part for part in name.replace("_", "-").replace(".", "-").split("-") if part)
    return name


@dataclass(frozen=True)
class Hit:
    """One catalogue match: the entry and the package it goes through."""

    entry: SdkEntry
    ecosystem: str
    package: str


class _PrefixIndex:
    """Exact names plus a short list of 'prefix*' names."""

    def __init__(self) -> None:
        self.exact: dict[str, SdkEntry] = {}
        self.spelling: dict[str, str] = {}  # key -> the name as the catalogue writes it
        self.prefixes: list[tuple[str, SdkEntry]] = []

    def add(self, key: str, entry: SdkEntry, spelling: str = "") -> None:
        if key.endswith("*"):
            self.prefixes.append((key[:-1], entry))
        else:
            self.exact.setdefault(key, entry)
            self.spelling.setdefault(key, spelling or key)

    def by_prefix(self, key: str) -> SdkEntry | None:
        for prefix, entry in self.prefixes:
            if key.startswith(prefix):
                return entry
        return None


class CatalogueIndex:
    """Lookups from module names and package names to catalogue entries."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.entries = catalogue.entries
        self._modules: dict[str, _PrefixIndex] = {lang: _PrefixIndex() for lang in SEPARATOR}
        self._packages: dict[str, _PrefixIndex] = {eco: _PrefixIndex() for eco in ECOSYSTEM_OF.values()}
        self.calls: dict[str, list[tuple[SdkEntry, CallPattern]]] = {}
        for entry in catalogue.entries:
            for lang, names in entry.imports.items():
                for name in names:
                    self._modules[lang].add(name.lower(), entry)
            for eco, names in entry.packages.items():
                for name in names:
                    star = name.endswith("*")
                    key = normalise_package(eco, name.rstrip("*"))
                    if star and eco == "pypi":
                        key += "-"  # "langchain-*" normalises to "langchain" otherwise
                    self._packages[eco].add(key + ("*" if star else ""), entry, name)
            for lang, calls in entry.calls.items():
                self.calls.setdefault(lang, []).extend((entry, call) for call in calls)
        self.presence = re2.compile("(?i)" + "|".join(re2.escape(x) for x in sorted(self._literals())))

    def _literals(self) -> set[str]:
        """Strings at least one of which any file using a catalogued SDK contains: the
        module names, `parent import` for Python's `from google import genai`, call hints.
        One RE2 pass over them lets the ~99% of files that use no AI skip the rest."""
        found: set[str] = set()
        for entry in self.entries:
            for lang, names in entry.imports.items():
                for name in names:
                    name = name.rstrip("*").lower()
                    found.add(name)
                    if lang == "python" and "." in name:
                        found.add(name.rsplit(".", 1)[0] + " import")
            for calls in entry.calls.values():
                found.update(call.hint.lower() for call in calls)
        return found

    def mentions_any(self, text: str) -> bool:
        return self.presence.search(text) is not None

    def module(self, language: str, module: str) -> Hit | None:
        """The SDK an imported module belongs to, by longest prefix, or None."""
        sep = SEPARATOR[language]
        index = self._modules[language]
        parts = module.lower().split(sep)
        for end in range(len(parts), 0, -1):
            entry = index.exact.get(sep.join(parts[:end]))
            if entry is not None:
                return Hit(entry, ECOSYSTEM_OF[language], self._package_for(entry, language, module))
        entry = index.by_prefix(module.lower() if language != "python" else parts[0])
        if entry is None:
            return None
        return Hit(entry, ECOSYSTEM_OF[language], self._package_for(entry, language, module))

    def package(self, ecosystem: str, name: str) -> Hit | None:
        """The SDK a dependency named in a manifest belongs to, or None."""
        index = self._packages[ecosystem]
        key = normalise_package(ecosystem, name)
        entry = index.exact.get(key)
        if entry is not None:
            return Hit(entry, ecosystem, index.spelling[key])
        if ecosystem == "golang":
            parts = key.split("/")
            for end in range(len(parts) - 1, 2, -1):  # module path with /vN or a sub-package
                entry = index.exact.get("/".join(parts[:end]))
                if entry is not None:
                    break
        if entry is None:
            entry = index.by_prefix(key)
        if entry is None:
            return None
        return Hit(entry, ecosystem, key if ecosystem in ("pypi", "npm") else name.strip())

    def _package_for(self, entry: SdkEntry, language: str, module: str) -> str:
        """Which of the entry's packages an import goes through: the one whose name the
        module path spells (langchain_openai -> langchain-openai; @ai-sdk/openai), else
        the entry's first package in that ecosystem."""
        eco = ECOSYSTEM_OF[language]
        sep = SEPARATOR[language]
        parts = module.split(sep)
        if language == "javascript":
            root = "/".join(parts[:2]) if module.startswith("@") else parts[0]
            return root
        names = {normalise_package(eco, n): n for n in entry.packages.get(eco, []) if not n.endswith("*")}  # type: ignore[call-overload]
        for end in range(len(parts), 0, -1):
            candidate = sep.join(parts[:end])
            key = normalise_package(eco, candidate)
            if key in names:
                if language == "go" and end < len(parts) and _GO_MAJOR.match(parts[end]):
                    return f"{names[key]}/{parts[end]}"  # module path .../v4
                return names[key]
            if language == "python" and end == 1 and self._packages[eco].by_prefix(key) is not None:
                return key  # langchain_aws -> langchain-aws, a "langchain-*" package
        return entry.first_package(eco) or parts[0]


def load_data_yaml(name: str) -> object:
    """One of our shipped YAML data files under data/discover/ (never scanned content),
    read with libyaml's safe loader: 10x faster than the pure-Python one, and every
    scanner worker process loads these files once at start."""
    path = resources.files("aiposture.data").joinpath("discover", name)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - safe loader


@cache
def catalogue() -> CatalogueIndex:
    """The validated catalogue, loaded once per process."""
    try:
        return CatalogueIndex(Catalogue(entries=load_data_yaml("sdks.yaml")))  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ValueError(f"invalid SDK catalogue sdks.yaml: {exc}") from exc


def package_asset(hit: Hit, location: Location, version: str | None = None) -> Asset:
    """The inventory entry for a package: one per (ecosystem, package) across the estate.
    Properties are the same on every sighting so merged assets are stable."""
    entry = hit.entry
    return Asset.make(
        entry.kind,
        hit.package,
        hit.ecosystem,
        version=version,
        provider=entry.provider,
        locations=[location],
        properties={
            "ecosystem": hit.ecosystem,
            "package": hit.package,
            "catalog_id": entry.id,
            "catalog_name": entry.name,
        },
    )
