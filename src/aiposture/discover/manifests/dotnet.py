"""NuGet manifests: SDK-style project files (*.csproj, *.fsproj, *.vbproj) with
<PackageReference>, central package management (Directory.Packages.props,
<PackageVersion>) and the older packages.config."""

from __future__ import annotations

from collections.abc import Iterator

from aiposture.discover.manifests.dependency import Dependency
from aiposture.discover.manifests.safe_xml import child_text, local, parse_xml

_ELEMENTS = {"PackageReference", "PackageVersion", "package"}


def project(text: str) -> Iterator[Dependency]:
    root = parse_xml(text, "project file")
    for element in root.iter():
        if local(element.tag) not in _ELEMENTS:
            continue
        name = element.get("Include") or element.get("Update") or element.get("id")
        if not name:
            continue
        version = element.get("Version") or element.get("version") or child_text(element, "Version")
        pinned = bool(version) and not version.startswith(("[", "(", "$")) and "*" not in version
        yield Dependency("nuget", name, version, pinned=pinned)
