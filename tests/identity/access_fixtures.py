"""Principals for the access tests: a plain dataclass with the fields the access
policy reads (the identity registry's Principal has the same attributes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aiposture.shipped import read_data_text

SHIPPED = Path(__file__).resolve().parents[2] / "src" / "aiposture" / "data" / "identity" / "policies"
BUSINESS = {"time": "2026-12-02T10:00:00Z", "source_ip": "10.1.2.3", "terms_accepted": True}


@dataclass
class Who:
    name: str
    kind: str = "agent"
    app: str | None = None
    enabled: bool = True
    owner: str | None = "alice"
    sponsors: list[str] = field(default_factory=lambda: ["alice"])
    blueprint: str | None = None
    tools: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=lambda: ["*"])
    attributes: dict = field(default_factory=dict)
    status: str = "active"


def copy_shipped(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("conditional-access.cedar", "models.cedar", "tools.cedar", "catalog.yaml"):
        (dest / name).write_text(read_data_text("identity", "policies", name), encoding="utf-8")
    return dest
