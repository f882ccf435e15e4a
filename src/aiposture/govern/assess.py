"""The main job as a library call: discover PATH, gather evidence, assess posture,
store the run and its posture. The `assess` command and `aiposture demo` both call
`run_assessment`; printing and writing reports stay with the caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiposture.discover.engine import DiscoverOptions, discover
from aiposture.govern.evidence import Evidence
from aiposture.govern.gather import gather_evidence
from aiposture.govern.history import history, save_posture
from aiposture.govern.posture import PostureReport, assess_posture
from aiposture.model import ScanResult
from aiposture.store.database import Store

Phase = Callable[[str], None]


@dataclass
class AssessOptions:
    discover: DiscoverOptions = field(default_factory=DiscoverOptions)
    gateway_config: Path | None = None
    policy: Path | None = None
    registry: Path | None = None
    history: int = 30
    # run on the scan before posture and storage (the command links agents to identities here)
    after_discover: Callable[[ScanResult], object] | None = None
    # run on the gathered evidence with the notes list (the command adds identity evidence here)
    add_evidence: Callable[[Evidence, list[str]], object] | None = None


def run_assessment(
    root: Path,
    store: Store | None,
    options: AssessOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
    phase: Phase | None = None,
) -> tuple[ScanResult, PostureReport, list[str]]:
    """Returns the scan (with path and posture findings added), the posture report (with
    its history when a store is given) and notes about evidence that could not be read."""
    options = options or AssessOptions()
    say = phase or (lambda _name: None)
    say("discover")
    result = discover(root, options.discover, progress=progress, command="assess")
    if options.after_discover is not None:
        options.after_discover(result)
    say("evidence")
    notes: list[str] = []
    evidence = gather_evidence(
        Path(root), store, options.gateway_config, options.policy, options.registry, notes
    )
    if options.add_evidence is not None:
        options.add_evidence(evidence, notes)
    say("posture")
    report = assess_posture(result, evidence)
    if store is not None:
        say("store")
        result.run.diff = store.save_scan(result)
        report.run = result.run
        save_posture(store, report)
        report.history = history(store, result.run.target, limit=options.history)
    return result, report, notes
