"""The manifest scanner: AI SDKs, frameworks and vector stores declared as dependencies,
with the version the manifest gives (an exact pin or the spec as written).

Each format has a small parser module; `ROUTES` below is the explicit table from file
names to parsers (no `if name == ...` chain). Only dependencies the catalogue knows
become assets, so a 5,000-entry package-lock.json costs dictionary lookups, not output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from aiposture.discover.base import ScanOutput, SourceFile
from aiposture.discover.catalogue import catalogue, package_asset
from aiposture.discover.manifests import dotnet, golang, maven, node, python
from aiposture.discover.manifests.dependency import Dependency, LineFinder
from aiposture.discover.rules import make_finding

Parser = Callable[[str], Iterator[Dependency]]
Needles = Callable[[Dependency], tuple[str, ...]]


@dataclass(frozen=True)
class Route:
    parser: Parser
    needles: Needles  # strings that mark the dependency's line, most specific first


def _quoted(dep: Dependency) -> tuple[str, ...]:
    return (f'"{dep.name}"', f"'{dep.name}'", f'"{dep.name}', f"'{dep.name}", f"{dep.name} =")


def _lock_npm(dep: Dependency) -> tuple[str, ...]:
    return (f'"node_modules/{dep.name}"', f'"{dep.name}": {{')


def _poetry_lock(dep: Dependency) -> tuple[str, ...]:
    return (f'name = "{dep.name}"',)


def _maven(dep: Dependency) -> tuple[str, ...]:
    group, _, artifact = dep.name.partition(":")
    return (f"<artifactId>{artifact}</artifactId>", dep.name)


def _nuget(dep: Dependency) -> tuple[str, ...]:
    return (f'include="{dep.name}"', f'update="{dep.name}"', f'id="{dep.name}"')


def _none(dep: Dependency) -> tuple[str, ...]:
    return ()


ROUTES: dict[str, Route] = {
    "pyproject.toml": Route(python.pyproject, _quoted),
    "poetry.lock": Route(python.poetry_lock, _poetry_lock),
    "pipfile": Route(python.pipfile, _quoted),
    "pipfile.lock": Route(python.pipfile_lock, _quoted),
    "package.json": Route(node.package_json, _quoted),
    "package-lock.json": Route(node.package_lock, _lock_npm),
    "npm-shrinkwrap.json": Route(node.package_lock, _lock_npm),
    "yarn.lock": Route(node.yarn_lock, _none),
    "pnpm-lock.yaml": Route(node.pnpm_lock, _none),
    "go.mod": Route(golang.go_mod, _none),
    "pom.xml": Route(maven.pom, _maven),
    "build.gradle": Route(maven.gradle, _none),
    "build.gradle.kts": Route(maven.gradle, _none),
    "packages.config": Route(dotnet.project, _nuget),
    "directory.packages.props": Route(dotnet.project, _nuget),
}
PROJECT_SUFFIXES = frozenset({".csproj", ".fsproj", ".vbproj"})
REQUIREMENTS = Route(python.requirements, _none)


def route_for(rel: str, name: str, suffix: str) -> Route | None:
    lowered = name.lower()
    route = ROUTES.get(lowered)
    if route is not None:
        return route
    if suffix in PROJECT_SUFFIXES:
        return Route(dotnet.project, _nuget)
    if suffix in (".txt", ".in") and (lowered.startswith("requirements") or "/requirements/" in f"/{rel}"):
        return REQUIREMENTS
    return None


class ManifestScanner:
    name = "manifests"

    def wants(self, rel: str, name: str, suffix: str) -> bool:
        return route_for(rel, name, suffix) is not None

    def scan(self, source: SourceFile, out: ScanOutput) -> None:
        route = route_for(source.rel, source.name, source.suffix)
        text = source.text()
        if route is None:
            return
        if text is None:
            out.skip(source.rel, "manifests: binary or not UTF-8")
            return
        report_dependencies(source, route.parser(text), route.needles, text, out)


def report_dependencies(source: SourceFile, deps: Iterator[Dependency], needles: Needles, text: str,
                        out: ScanOutput) -> None:
    """Assets for the catalogued dependencies; an unpinned AI requirement is a finding."""
    index = catalogue()
    finder: LineFinder | None = None
    seen: set[tuple[str, str | None]] = set()
    for dep in deps:
        hit = index.package(dep.ecosystem, dep.name)
        if hit is None or (dep.name, dep.version) in seen:
            continue
        seen.add((dep.name, dep.version))
        line = dep.line
        if line is None:
            finder = finder or LineFinder(text)
            line = finder.line_of(dep.name.rpartition(":")[2] if dep.ecosystem == "maven" else dep.name,
                                  *needles(dep))
        asset = out.asset(package_asset(hit, source.loc(line), version=dep.version))
        if dep.requirements_file and not dep.pinned:
            out.finding(make_finding("AIP-CODE-001", source.loc(line), asset=asset.id,
                                     evidence=f"{dep.name}{dep.version or ''} (no exact == pin)",
                                     discriminator=dep.name))
