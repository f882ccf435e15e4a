"""Reading a YAML file a person wrote (a gateway config, a policy, a blueprint) into a
pydantic model, with one-line errors that say what could not be read or which field is
wrong. Shipped data goes through `aiposture.shipped` instead."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from aiposture.errors import InputError

M = TypeVar("M", bound=BaseModel)


def read_mapping(path: Path | str, label: str | None = None, max_bytes: int | None = None) -> dict:
    """The YAML mapping in `path` (an empty file is an empty mapping); `label` names it in errors."""
    label = label or str(path)
    try:
        if max_bytes is not None and Path(path).stat().st_size > max_bytes:
            raise InputError(f"{label} is larger than {max_bytes} bytes")
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise InputError(f"cannot read {label}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError:
        raise InputError(f"{label} is not UTF-8 text") from None
    except RecursionError:
        raise InputError(f"{label} is YAML nested too deeply") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{label} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{label} must be a mapping")
    return data


def validate(model: type[M], data: dict, label: Path | str) -> M:
    """`model` from `data`, or InputError naming the first wrong field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{label}: {where}: {first['msg']}") from None
