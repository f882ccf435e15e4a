"""XML manifests without the XML attacks: any DOCTYPE or ENTITY declaration is refused
before parsing, so there are no internal entities to expand ("billion laughs"), no
external entities to fetch (XXE) and no DTD to load. Manifests (pom.xml, *.csproj) never
need a DTD, so refusing costs nothing and needs no extra dependency (defusedxml)."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: N817 - the conventional alias

from aiposture.discover.base import MalformedInput


def parse_xml(text: str, kind: str) -> ET.Element:
    head = text.lower()
    if "<!doctype" in head or "<!entity" in head:
        raise MalformedInput(f"{kind}: DOCTYPE/ENTITY declarations are refused")
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        raise MalformedInput(f"{kind}: invalid XML: {exc}") from exc


def local(tag: object) -> str:
    """'{namespace}dependency' -> 'dependency'."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def child_text(element: ET.Element, name: str) -> str | None:
    for child in element:
        if local(child.tag) == name:
            return (child.text or "").strip() or None
    return None
