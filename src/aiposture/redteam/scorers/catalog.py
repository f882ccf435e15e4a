"""The scorer registry (explicit list + entry points `aiposture.redteam.scorers`)
and the combination of a probe's scorers into one outcome."""

from __future__ import annotations

from aiposture.redteam.model import ScoreReason
from aiposture.redteam.probes.base import Probe
from aiposture.redteam.registry import Registry
from aiposture.redteam.scorers.base import ScoreInput, Scorer, ScorerEnv

SCORERS = Registry(
    "scorers",
    [
        "aiposture.redteam.scorers.canary:CanaryScorer",
        "aiposture.redteam.scorers.refusal:RefusalScorer",
        "aiposture.redteam.scorers.triggers:TriggerScorer",
        "aiposture.redteam.scorers.triggers:LengthScorer",
        "aiposture.redteam.scorers.tool_calls:ToolCallScorer",
        "aiposture.redteam.scorers.guard:GuardScorer",
        "aiposture.redteam.scorers.judge:JudgeScorer",
    ],
)


def scorers_for(probe: Probe, env: ScorerEnv) -> list[Scorer]:
    return [SCORERS.get(ref.name)(ref.params, env) for ref in probe.scorers]


async def score_all(
    scorers: list[Scorer], item: ScoreInput, combine: str
) -> tuple[bool, float, list[ScoreReason]]:
    """Run every scorer; combine the active ones with any/all."""
    reasons = [await s.score(item) for s in scorers]
    active = [r for r in reasons if r.active]
    if not active:
        return False, 0.0, reasons
    hits = [r.hit for r in active]
    success = all(hits) if combine == "all" else any(hits)
    score = max((r.score for r in active if r.hit), default=0.0) if success else 0.0
    return success, score, reasons
