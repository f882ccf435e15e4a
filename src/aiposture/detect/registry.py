"""The registry of text detectors: an explicit list of the built-in ones, by dotted
path, plus third-party detectors declared under the entry-point group
`aiposture.detectors` (name = registry name, value = `module:Class`).

Nothing is imported until a detector is asked for, so the registry lists detectors
whose module is not installed yet; asking for one of those raises
`DetectorUnavailable` with the reason, and `create_many` collects such errors instead
of failing the others.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from aiposture.detect.base import TextDetector
from aiposture.errors import AIPostureError

ENTRY_POINT_GROUP = "aiposture.detectors"

# name -> "module:Class"; the order is the order the guard runs them in.
BUILTIN_DETECTORS: dict[str, str] = {
    "invisible": "aiposture.detect.invisible:InvisibleTextDetector",
    "secrets": "aiposture.detect.secrets:SecretsDetector",
    "pii": "aiposture.detect.pii:PiiDetector",
    "custom": "aiposture.detect.custom:CustomDetector",
    "injection": "aiposture.detect.injection:InjectionDetector",
    "content": "aiposture.detect.content:ContentDetector",
    "unsafe_output": "aiposture.detect.unsafe_output:UnsafeOutputDetector",
}


class DetectorUnavailable(AIPostureError):
    """A registered detector cannot be loaded or built (module missing, bad options...)."""


@dataclass(frozen=True)
class DetectorSpec:
    name: str
    target: str  # "module:Class"
    source: str  # "builtin" or the distribution that declared the entry point

    def load(self) -> type:
        module_name, _, attr = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise DetectorUnavailable(
                f"detector {self.name!r} is not available: module {exc.name or module_name!r} "
                f"is not installed") from None
        except Exception as exc:  # a broken plugin must not take the others down
            raise DetectorUnavailable(f"detector {self.name!r} failed to import {module_name}: "
                                      f"{type(exc).__name__}: {exc}") from None
        cls = getattr(module, attr, None)
        if cls is None:
            raise DetectorUnavailable(f"detector {self.name!r}: {module_name} has no {attr!r}")
        return cls


def available() -> dict[str, DetectorSpec]:
    """Every registered detector by name: built-ins first, then entry points (which may
    not shadow a built-in)."""
    specs = {name: DetectorSpec(name, target, "builtin") for name, target in BUILTIN_DETECTORS.items()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in specs:
            continue
        dist = getattr(getattr(ep, "dist", None), "name", None) or "entry point"
        specs[ep.name] = DetectorSpec(ep.name, ep.value, dist)
    return specs


def names() -> list[str]:
    return list(available())


def create(name: str, **options: Any) -> TextDetector:
    """Build the detector `name` with its options; DetectorUnavailable explains failures."""
    spec = available().get(name)
    if spec is None:
        raise DetectorUnavailable(f"unknown detector {name!r}; known: {', '.join(available())}")
    cls = spec.load()
    try:
        detector = cls(**options)
    except AIPostureError as exc:
        raise DetectorUnavailable(f"detector {name!r}: {exc}") from None
    except Exception as exc:
        raise DetectorUnavailable(f"detector {name!r} could not start: {type(exc).__name__}: {exc}") from None
    if not isinstance(detector, TextDetector):
        raise DetectorUnavailable(f"detector {name!r}: {spec.target} does not meet the TextDetector contract")
    return detector


def create_many(selection: dict[str, dict[str, Any]] | None = None
                ) -> tuple[list[TextDetector], dict[str, str]]:
    """Build the selected detectors (all registered ones when None), in registry order.
    Returns the detectors built and {name: error} for those that could not be."""
    specs = available()
    wanted = selection if selection is not None else {name: {} for name in specs}
    built: list[TextDetector] = []
    errors: dict[str, str] = {}
    for name in [n for n in specs if n in wanted] + [n for n in wanted if n not in specs]:
        try:
            built.append(create(name, **(wanted.get(name) or {})))
        except DetectorUnavailable as exc:
            errors[name] = str(exc)
    return built, errors
