"""Blueprints: named templates an identity is created from (default tools, models,
attributes, attestation period). Shipped ones live in `data/identity/blueprints/`;
`--blueprint` takes one of their names or the path of a YAML file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from aiposture.errors import InputError
from aiposture.yamlfile import read_mapping, validate

_MAX_BYTES = 65_536


class Blueprint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    description: str = ""
    kind: Literal["app", "user", "agent"] = "agent"
    app: str | None = None
    tools: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=lambda: ["*"])
    attributes: dict[str, str | int | bool] = Field(default_factory=dict)
    attest_every_days: int | None = Field(default=None, ge=1, le=3650)
    expires_days: int | None = Field(default=None, ge=1, le=3650)


def _shipped() -> Path:
    return Path(str(resources.files("aiposture.data") / "identity" / "blueprints"))


def shipped_blueprints() -> list[Blueprint]:
    return [load_blueprint(str(p)) for p in sorted(_shipped().glob("*.yaml"))]


def load_blueprint(ref: str) -> Blueprint:
    """A shipped blueprint by name, else a YAML file by path; raises InputError."""
    path = Path(ref)
    if not path.suffix and "/" not in ref:
        path = _shipped() / f"{ref}.yaml"
        if not path.is_file():
            names = ", ".join(p.stem for p in sorted(_shipped().glob("*.yaml")))
            raise InputError(f"no blueprint {ref!r}: a YAML file or one of {names}")
    return validate(Blueprint, read_mapping(path, f"blueprint {path}", _MAX_BYTES), f"blueprint {path}")
