"""What an "app" is, for per-app scores and checks.

An app is a project folder that holds AI assets. Given only what a scan stored (asset
and finding locations relative to the scan root), the rule is:

1. an asset whose `properties.app` is set belongs to that app (scanners or users that
   know better say so);
2. otherwise the app is the first folder of the location's path under the scan root;
   when that first folder is a conventional container of projects (`apps`, `services`,
   `projects`, `packages`, ...: data in `data/govern/apps.yaml`), the first two folders;
3. files directly in the scan root belong to the app `.` (the root project); editor and
   tool configuration folders (`.vscode`, `.github`, ...) are not apps, so a file in one
   belongs to the folder that holds it.

This is deliberately simple and explainable: a monorepo with one project per top-level
folder gets one app per folder; a single project gets one app.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache, lru_cache
from importlib import resources

import yaml

from aiposture.model import Asset, Finding, ScanResult

ROOT_APP = "."


@cache
def _folders() -> tuple[frozenset[str], frozenset[str]]:
    text = resources.files("aiposture.data").joinpath("govern", "apps.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return frozenset(data["container_folders"]), frozenset(data.get("config_folders", []))


@lru_cache(maxsize=65536)
def app_of_path(path: str) -> str:
    """The app a file (relative POSIX path) belongs to."""
    containers, configs = _folders()
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    folders = parts[:-1]
    cut = next((i for i, p in enumerate(folders) if p.lower() in configs), len(folders))
    folders = folders[:cut]
    if not folders:
        return ROOT_APP
    if folders[0].lower() in containers and len(folders) > 1:
        return f"{folders[0]}/{folders[1]}"
    return folders[0]


def app_of_asset(asset: Asset) -> str:
    explicit = asset.properties.get("app")
    if isinstance(explicit, str) and explicit:
        return explicit
    if not asset.locations:
        return ROOT_APP
    return app_of_path(asset.locations[0].path)


def apps_of_asset(asset: Asset) -> set[str]:
    """Every app an asset was seen in (an SDK used by three projects is in all three)."""
    explicit = asset.properties.get("app")
    if isinstance(explicit, str) and explicit:
        return {explicit}
    return {app_of_path(loc.path) for loc in asset.locations} or {ROOT_APP}


def app_of_finding(finding: Finding, assets: dict[str, Asset]) -> str:
    if finding.location is not None:
        return app_of_path(finding.location.path)
    if finding.asset and finding.asset in assets:
        return app_of_asset(assets[finding.asset])
    return ROOT_APP


def split_by_app(result: ScanResult) -> dict[str, ScanResult]:
    """One ScanResult per app (sorted by name), sharing the run info."""
    by_id = {a.id: a for a in result.assets}
    assets: dict[str, list[Asset]] = defaultdict(list)
    findings: dict[str, list[Finding]] = defaultdict(list)
    for asset in result.assets:
        for app in sorted(apps_of_asset(asset)):
            assets[app].append(asset)
    for finding in result.findings:
        findings[app_of_finding(finding, by_id)].append(finding)
    names = sorted(set(assets))  # an app is a folder with AI assets
    return {n: ScanResult(run=result.run, assets=assets[n], findings=findings.get(n, [])) for n in names}
