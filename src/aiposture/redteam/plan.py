"""The attack plan: probes x prompts x converter chains x strategies, in a fixed
order with stable attempt ids, and the request budget applied to it up front (by
each attempt's worst-case request count) so the same config always runs the same
attempts whatever the concurrency."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from aiposture.model import stable_id
from aiposture.redteam.converters.base import Chain
from aiposture.redteam.converters.catalog import build_chain
from aiposture.redteam.probes.base import Probe
from aiposture.redteam.probes.catalog import expand_prompts, select_probes
from aiposture.redteam.strategies.base import Strategy
from aiposture.redteam.strategies.catalog import STRATEGIES


class RunConfig(BaseModel):
    """Everything that decides what a run does; stored with the run for --resume."""

    target: str
    probes: list[str] = Field(default_factory=lambda: ["default"])
    converters: list[str] = Field(default_factory=list)
    strategies: list[str] = Field(default_factory=lambda: ["single"])
    seed: int = 0
    concurrency: int = Field(default=32, ge=1, le=1024)
    timeout: float = Field(default=30.0, gt=0)
    retries: int = Field(default=2, ge=0, le=10)
    backoff: float = Field(default=0.5, ge=0)
    budget: int | None = Field(default=None, ge=1)
    max_turns: int = Field(default=6, ge=1, le=50)
    judge: str | None = None
    app: str | None = None  # the app under test, as posture names it (e.g. "apps/support-copilot")


@dataclass
class PlannedAttempt:
    seq: int
    id: str
    probe: Probe
    prompt_index: int
    prompt: str
    chain: Chain
    strategy: Strategy
    max_requests: int


def build_plan(config: RunConfig) -> list[PlannedAttempt]:
    probes = sorted(select_probes(config.probes), key=lambda p: p.id)
    chains = [build_chain("none")] + [build_chain(spec) for spec in config.converters if spec != "none"]
    strategies = [STRATEGIES.get(name)(max_turns=config.max_turns) for name in config.strategies]
    plan: list[PlannedAttempt] = []
    for probe in probes:
        for index, prompt in enumerate(expand_prompts(probe, config.seed)):
            for chain in chains:
                turns = 4 if any(c.multi_turn for c in chain.converters) else 1  # 3 parts + join
                for strategy in strategies:
                    attempt_id = stable_id(probe.id, index, chain.name, strategy.name)
                    plan.append(
                        PlannedAttempt(
                            len(plan),
                            attempt_id,
                            probe,
                            index,
                            prompt,
                            chain,
                            strategy,
                            strategy.max_requests(turns),
                        )
                    )
    return plan


def apply_budget(
    plan: list[PlannedAttempt], budget: int | None
) -> tuple[list[PlannedAttempt], list[PlannedAttempt]]:
    """Split the plan into what fits the request budget (in plan order) and the rest."""
    if budget is None:
        return plan, []
    kept, left, spent = [], [], 0
    for item in plan:
        if spent + item.max_requests <= budget:
            kept.append(item)
            spent += item.max_requests
        else:
            left.append(item)
    return kept, left
