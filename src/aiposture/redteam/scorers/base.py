"""The scorer contract. A scorer looks at one attempt's turns and final reply and
returns a ScoreReason: `hit` means the attack got through by this scorer's
measure, `detail` says why in words a person can check. A probe lists its scorers
and combines them with any/all; scorers that cannot judge (no judge target, no
guard installed) mark themselves inactive and are left out of the combination."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiposture.redteam.model import AppContext, ScoreReason, TargetReply, ToolCall, Turn
from aiposture.redteam.probes.base import Probe


@dataclass
class ScoreInput:
    probe: Probe
    context: AppContext
    turns: list[Turn]
    reply: TargetReply

    @property
    def all_tool_calls(self) -> list[ToolCall]:
        return [c for t in self.turns for c in t.tool_calls]


@dataclass
class ScorerEnv:
    """What scorers may use beyond the reply: an LLM judge target, a guard policy."""

    judge: Any = None
    guard_policy: Any = None
    cache: dict[str, Any] = field(default_factory=dict)


class Scorer:
    name: ClassVar[str]
    description: ClassVar[str] = ""

    def __init__(self, params: dict[str, Any] | None = None, env: ScorerEnv | None = None) -> None:
        self.params = params or {}
        self.env = env or ScorerEnv()

    async def score(self, item: ScoreInput) -> ScoreReason:
        return self.score_sync(item)

    def score_sync(self, item: ScoreInput) -> ScoreReason:
        raise NotImplementedError

    def reason(self, hit: bool, detail: str, score: float | None = None, active: bool = True) -> ScoreReason:
        return ScoreReason(
            scorer=self.name,
            hit=hit,
            detail=detail,
            active=active,
            score=(1.0 if hit else 0.0) if score is None else score,
        )


def snippet(text: str, start: int, end: int, pad: int = 30) -> str:
    """A short window of the reply around a match, for the report."""
    a, b = max(0, start - pad), min(len(text), end + pad)
    return ("…" if a else "") + text[a:b].replace("\n", " ") + ("…" if b < len(text) else "")
