"""The source-code scanner: AI SDKs, frameworks and vector stores imported by Python,
JavaScript/TypeScript, Java (and Kotlin/Scala), C# and Go; hosted models named in calls;
AI endpoints; hard-coded keys.

Imports are found with generic per-language RE2 patterns (`imports.py`) and looked up in
the catalogue (`data/discover/sdks.yaml`); calls that reveal an SDK the import does not
(boto3 reaching Bedrock) are catalogue data too. Model ids are only read in files that use
an AI SDK, which keeps `model="User"` in an ORM out of the inventory.
"""

from __future__ import annotations

from functools import cache

import re2

from aiposture.discover.base import ScanOutput, SourceFile
from aiposture.discover.catalogue import (
    ECOSYSTEM_OF,
    Hit,
    SdkEntry,
    catalogue,
    normalise_package,
    package_asset,
)
from aiposture.discover.endpoints import endpoint_asset, endpoint_findings, endpoint_matcher
from aiposture.discover.imports import LANGUAGE_OF_SUFFIX, find_imports
from aiposture.discover.model_refs import model_asset, model_matcher
from aiposture.discover.secret_findings import report_secrets
from aiposture.discover.textsite import TextSite
from aiposture.model import Asset, Location

_SUFFIXES = frozenset(LANGUAGE_OF_SUFFIX)


class CodeScanner:
    name = "code"

    def wants(self, rel: str, name: str, suffix: str) -> bool:
        return suffix in _SUFFIXES and not name.endswith((".min.js", ".d.ts"))

    def scan(self, source: SourceFile, out: ScanOutput) -> None:
        text = source.text()
        if text is None:
            out.skip(source.rel, "code: binary or not UTF-8")
            return
        scan_code(TextSite(source.rel, text), LANGUAGE_OF_SUFFIX[source.suffix], out)


def scan_code(site: TextSite, language: str, out: ScanOutput) -> list[SdkEntry]:
    """Everything the code scanner reports for one text in `language`; returns the SDK
    entries it used (the notebook scanner reuses this on concatenated cells)."""
    entries = report_sdks(site, language, out)
    if entries:
        report_models(site, entries, out)
    report_endpoints(site, out)
    report_secrets(site, out, in_code=True)
    return entries


def report_sdks(site: TextSite, language: str, out: ScanOutput) -> list[SdkEntry]:
    """One asset per package per file (its first import), plus SDKs revealed by calls."""
    index = catalogue()
    if not index.mentions_any(site.text):
        return []
    seen: dict[str, SdkEntry] = {}
    for module, offset in find_imports(site.text, language):
        hit = index.module(language, module)
        if hit is not None and hit.package not in seen:
            seen[hit.package] = hit.entry
            out.asset(package_asset(hit, site.loc(offset)))
    ecosystem = ECOSYSTEM_OF[language]
    for entry, call in index.calls.get(language, []):
        if call.hint not in site.text:
            continue
        match = _compiled(call.pattern).search(site.text)
        if match is None:
            continue
        key = f"{entry.id}:{call.package}"
        if key not in seen:
            seen[key] = entry
            out.asset(_call_asset(entry, ecosystem, call.package, site.loc(match.start())))
    return list({entry.id: entry for entry in seen.values()}.values())


def _call_asset(entry: SdkEntry, ecosystem: str, package: str, location: Location) -> Asset:
    """A call-revealed SDK is the package when the package is the SDK's own
    (openai-agents); else it is the service reached through a general package ("AWS
    Bedrock" via boto3, "Azure OpenAI" via openai or langchain-openai): one asset per
    ecosystem with no `package` property, so it never merges into, or claims the purl
    of, the general package."""
    own = {normalise_package(ecosystem, p) for p in entry.packages.get(ecosystem, [])}  # type: ignore[call-overload]
    if normalise_package(ecosystem, package) in own:
        return package_asset(Hit(entry, ecosystem, package), location)
    asset = package_asset(Hit(entry, ecosystem, entry.name), location)
    del asset.properties["package"]
    return asset


def report_models(site: TextSite, entries: list[SdkEntry], out: ScanOutput) -> None:
    providers = {entry.model_provider for entry in entries if entry.model_provider}
    fallback = providers.pop() if len(providers) == 1 else None
    seen: set[tuple[str, str]] = set()
    for ref in model_matcher().find(site.text, fallback):
        if (ref.name, ref.reference) in seen:
            continue
        seen.add((ref.name, ref.reference))
        out.asset(model_asset(ref, site.loc(ref.offset)))


def report_endpoints(site: TextSite, out: ScanOutput) -> None:
    seen: set[str] = set()
    for ref in endpoint_matcher().find_urls(site.text):
        if ref.url in seen:
            continue
        seen.add(ref.url)
        location = site.loc(ref.offset)
        asset = out.asset(endpoint_asset(ref, location))
        for finding in endpoint_findings(ref, asset, location, site.where(ref.offset)):
            out.finding(finding)


@cache
def _compiled(pattern: str) -> re2._Regexp:
    """Call patterns compiled once per process (scanner objects stay picklable)."""
    return re2.compile(pattern)
