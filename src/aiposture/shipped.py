"""Reading the knowledge we ship in `aiposture/data/`: one place that knows where it
lives and parses it with libyaml's safe loader (the same safety as `yaml.safe_load`,
several times faster). Building a Guard or a probe catalogue parses dozens of these
files, so the loader matters at start-up.

Only for our own files: text a user or an attacker wrote goes through the bounded
readers of the modules that accept it (libyaml can crash on pathological nesting)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_text(text: str) -> Any:
    """Parse YAML we ship (already read as text)."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader


def read_data_text(*parts: str) -> str:
    """The text of `aiposture/data/<parts...>`."""
    return resources.files("aiposture").joinpath("data", *parts).read_text(encoding="utf-8")


def load_data_yaml(*parts: str) -> Any:
    """Parse `aiposture/data/<parts...>` as YAML."""
    return load_yaml_text(read_data_text(*parts))
