"""The strategy registry (explicit list + entry points `aiposture.redteam.strategies`)."""

from __future__ import annotations

from aiposture.redteam.registry import Registry

STRATEGIES = Registry(
    "strategies",
    [
        "aiposture.redteam.strategies.single:SingleTurnStrategy",
        "aiposture.redteam.strategies.retry:RetryStrategy",
        "aiposture.redteam.strategies.crescendo:CrescendoStrategy",
    ],
)
