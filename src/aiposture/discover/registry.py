"""The registry of discovery scanners: built-ins listed here by dotted path (an
explicit list, no import side effects), third parties through the entry-point
group `aiposture.scanners` (each entry point names a Scanner class)."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from aiposture.discover.base import Scanner

BUILTIN_SCANNERS: list[str] = [
    "aiposture.discover.code:CodeScanner",
    "aiposture.discover.manifests:ManifestScanner",
    "aiposture.discover.notebooks:NotebookScanner",
    "aiposture.discover.config:ConfigScanner",
    "aiposture.discover.iac:IacScanner",
    "aiposture.discover.agents:AgentScanner",
    "aiposture.discover.modelfiles:ModelFileScanner",
]


def _load(target: str) -> type:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def load_scanners(only: list[str] | None = None) -> list[Scanner]:
    """Instantiate every registered scanner (or those named in `only`).
    A built-in whose module is absent is left out, so a partial install still scans."""
    classes: list[type] = []
    for target in BUILTIN_SCANNERS:
        try:
            classes.append(_load(target))
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("aiposture.discover"):
                raise
    for ep in entry_points(group="aiposture.scanners"):
        classes.append(ep.load())
    scanners = [cls() for cls in classes]
    if only:
        unknown = set(only) - {s.name for s in scanners}
        if unknown:
            raise ValueError(f"unknown scanner(s): {', '.join(sorted(unknown))}")
        scanners = [s for s in scanners if s.name in only]
    return scanners
