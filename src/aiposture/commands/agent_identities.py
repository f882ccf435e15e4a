"""Linking the agents discovery found to the identities registered in the store.

Scanners never touch the store, so this runs in the command layer, after discovery and
before the run is stored: each `agent` asset whose name (case-insensitive, `_` and `-`
alike) matches a principal, or one of the names in a principal's `discovered_as`
attribute (comma-separated), gets `properties.identity` and `identity_status`; the rest
are findings (AIP-AGENT-002), as are lapsed identities (AIP-AGENT-003) and tools in the
code that the identity does not grant (AIP-AGENT-004). Nothing happens while the store
holds no principals: an organisation that has not started registering identities gets
no flood of findings."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from datetime import UTC, datetime

from aiposture.discover.rules import make_finding
from aiposture.identity.principals import Principal, Principals
from aiposture.model import Asset, ScanResult
from aiposture.store.database import Store

HINT = "discovered_as"


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def _index(principals: list[Principal]) -> dict[str, Principal]:
    index: dict[str, Principal] = {}
    for p in principals:
        for name in str(p.attributes.get(HINT, "")).split(","):
            if name.strip():
                index[_norm(name)] = p
    for p in principals:  # a principal's own name wins over any principal's hint (set last)
        index[_norm(p.name)] = p
    return index


def _findings(asset: Asset, principal: Principal | None, now: datetime) -> list:
    where = asset.locations[0] if asset.locations else None
    framework = asset.properties.get("framework") or "agent"
    if principal is None:
        return [make_finding("AIP-AGENT-002", where, asset=asset.id, discriminator=asset.id,
                             evidence=f"{framework} agent {asset.name!r} matches no registered principal")]
    out = []
    reason = principal.status_reason(now)
    if reason:
        out.append(make_finding("AIP-AGENT-003", where, asset=asset.id, discriminator=asset.id,
                                evidence=f"{framework} agent {asset.name!r} runs as {principal.name!r}: {reason}"))
    tools = [t for t in asset.properties.get("tools") or [] if isinstance(t, str)]
    ungranted = [t for t in tools if not any(fnmatch.fnmatchcase(t, g) for g in principal.tools)]
    if ungranted:
        out.append(make_finding("AIP-AGENT-004", where, asset=asset.id, discriminator=asset.id,
                                evidence=f"tools of {asset.name!r} not granted to identity {principal.name!r}: "
                                         f"{', '.join(sorted(ungranted))}"))
    return out


def link_agents(result: ScanResult, principals: list[Principal], now: datetime | None = None) -> int:
    """Link agent assets to identities in place; returns how many were linked."""
    if not principals:
        return 0
    now = now or datetime.now(UTC)
    index = _index(principals)
    linked = 0
    for asset in result.assets:
        if asset.kind != "agent":
            continue
        principal = index.get(_norm(asset.name))
        asset.properties["identity"] = principal.name if principal else None
        if principal is not None:
            asset.properties["identity_status"] = principal.status_at(now)
            linked += 1
        result.findings.extend(_findings(asset, principal, now))
    return linked


def linker(store: Store | None) -> Callable[[ScanResult], int] | None:
    """A function linking a scan's agents to the store's principals, or None without a store."""
    if store is None:
        return None
    principals = Principals(store).list()
    return lambda result: link_agents(result, principals)
