"""Blueprints: named templates an identity is created from (default tools, models,
attributes, attestation period). Shipped ones live in `data/identity/blueprints/`;
`--blueprint` takes one of their names or the path of a YAML file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aiposture.errors import InputError

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
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise InputError(f"blueprint {path} is larger than {_MAX_BYTES} bytes")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read blueprint {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"blueprint {path} is not valid YAML: {exc.__class__.__name__}") from None
    if not isinstance(data, dict):
        raise InputError(f"blueprint {path} must hold a mapping")
    try:
        return Blueprint.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "blueprint"
        raise InputError(f"blueprint {path}: {where}: {first['msg']}") from None
