"""JVM manifests: Maven pom.xml (dependencies and dependencyManagement, `${property}`
versions resolved from <properties>) and Gradle build scripts' "group:artifact:version"
coordinates."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import re2

from aiposture.discover.base import LineIndex
from aiposture.discover.manifests.dependency import Dependency
from aiposture.discover.manifests.safe_xml import child_text, local, parse_xml

_GRADLE = r"""['"]([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+)(?::([^'"\s:@]+))?(?:@\w+)?['"]"""


@cache
def _gradle() -> re2._Regexp:
    return re2.compile(_GRADLE)


def _properties(root) -> dict[str, str]:  # noqa: ANN001 - ElementTree element
    props: dict[str, str] = {}
    for element in root:
        if local(element.tag) == "properties":
            for prop in element:
                if prop.text:
                    props[local(prop.tag)] = prop.text.strip()
        elif local(element.tag) == "version" and element.text:
            props["project.version"] = element.text.strip()
    return props


def _resolve(version: str | None, props: dict[str, str]) -> str | None:
    if version and version.startswith("${") and version.endswith("}"):
        return props.get(version[2:-1], version)
    return version


def pom(text: str) -> Iterator[Dependency]:
    root = parse_xml(text, "pom.xml")
    props = _properties(root)
    for element in root.iter():
        if local(element.tag) != "dependency":
            continue
        group, artifact = child_text(element, "groupId"), child_text(element, "artifactId")
        if not group or not artifact:
            continue
        version = _resolve(child_text(element, "version"), props)
        pinned = bool(version) and not version.startswith(("[", "(", "${")) and "SNAPSHOT" not in version
        yield Dependency("maven", f"{group}:{artifact}", version, pinned=pinned)


def gradle(text: str) -> Iterator[Dependency]:
    if ":" not in text:
        return
    lines = LineIndex(text)
    for match in _gradle().finditer(text):
        version = match.group(3)
        yield Dependency("maven", f"{match.group(1)}:{match.group(2)}", version,
                         lines.line(match.start()), pinned=bool(version) and "+" not in version)
