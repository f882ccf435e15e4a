"""Load and validate the posture checks (every YAML file under `data/govern/checks/`).

The loader refuses duplicate ids and query kinds that are not registered, so a typo
in a data file fails at load (and in the test that loads every check), not silently
at assessment time.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import ValidationError

from aiposture.govern.checks.model import Check
from aiposture.govern.checks.queries import query_registry
from aiposture.govern.knowledge import SAFE_LOADER


@cache
def load_checks() -> tuple[Check, ...]:
    folder = resources.files("aiposture.data").joinpath("govern", "checks")
    checks: dict[str, Check] = {}
    kinds = query_registry()
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith((".yaml", ".yml")):
            continue
        for item in yaml.load(entry.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or []:
            try:
                check = Check.model_validate(item)
            except ValidationError as exc:
                raise ValueError(f"invalid posture check in {entry.name}: {exc}") from exc
            if check.id in checks:
                raise ValueError(f"duplicate posture check id {check.id} in {entry.name}")
            unknown = [q.kind for q in check.evidence if q.kind not in kinds]
            if unknown:
                raise ValueError(f"{check.id}: unknown evidence query kind(s) {', '.join(unknown)}")
            checks[check.id] = check
    return tuple(sorted(checks.values(), key=lambda c: c.id))
