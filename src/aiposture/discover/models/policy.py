"""The classification of imported Python globals (pickle, Keras configs) as data:
`data/models/pickle_globals.yaml`, validated by pydantic when loaded. See that file
for the order of decision."""

from __future__ import annotations

import _compat_pickle
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Verdict(StrEnum):
    """A model file's verdict; the same scale classifies one imported global."""

    SAFE = "safe"
    SUSPICIOUS = "suspicious"
    UNSAFE = "unsafe"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"safe": 0, "error": 1, "suspicious": 2, "unsafe": 3}[self.value]


class SafeSpec(BaseModel):
    model_config = _STRICT
    exact: list[str] = Field(default_factory=list)
    prefixes: list[str] = Field(default_factory=list)


class DangerousSpec(BaseModel):
    model_config = _STRICT
    modules: list[str] = Field(min_length=1)
    globals: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)
    path_components: list[str] = Field(default_factory=list)


class GlobalsPolicyData(BaseModel):
    model_config = _STRICT
    safe: SafeSpec
    dangerous: DangerousSpec


class GlobalClass(BaseModel):
    """How one global was classified, and why (for the finding's detail)."""

    model_config = _STRICT
    verdict: Verdict
    reason: str


def _has_prefix(path: str, prefixes: frozenset[str]) -> str | None:
    """The entry of `prefixes` that is `path` or a dotted-component prefix of it."""
    parts = path.split(".")
    for k in range(len(parts), 0, -1):
        candidate = ".".join(parts[:k])
        if candidate in prefixes:
            return candidate
    return None


class GlobalsPolicy:
    def __init__(self, data: GlobalsPolicyData) -> None:
        self.safe_exact = frozenset(data.safe.exact)
        self.safe_prefixes = frozenset(data.safe.prefixes)
        self.bad_modules = frozenset(data.dangerous.modules) | frozenset(data.dangerous.globals)
        self.bad_names = frozenset(data.dangerous.names)
        self.bad_components = frozenset(data.dangerous.path_components)

    @classmethod
    def load(cls, path: Path | None = None) -> GlobalsPolicy:
        if path is None:
            text = resources.files("aiposture.data").joinpath("models", "pickle_globals.yaml").read_text("utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return cls(GlobalsPolicyData.model_validate(yaml.safe_load(text)))

    def classify(self, module: str, name: str) -> GlobalClass:
        """As Python 3's unpickler maps Python 2 names (`__builtin__.set` is
        `builtins.set`), and unsafe too when the name as written is unsafe."""
        mapped = _py3_name(module, name)
        result = self._classify_one(*mapped)
        if mapped != (module, name) and result.verdict != Verdict.UNSAFE:
            raw = self._classify_one(module, name)
            if raw.verdict == Verdict.UNSAFE:
                return raw
        return result

    def _classify_one(self, module: str, name: str) -> GlobalClass:
        full = f"{module}.{name}" if name else module
        if full in self.safe_exact:
            return GlobalClass(verdict=Verdict.SAFE, reason="known safe")
        hit = _has_prefix(full, self.bad_modules)
        if hit:
            return GlobalClass(verdict=Verdict.UNSAFE, reason=f"{hit} is dangerous")
        parts = full.split(".")
        if parts[-1] in self.bad_names:
            return GlobalClass(verdict=Verdict.UNSAFE, reason=f"{parts[-1]} runs code or touches files")
        attr_path = name.split(".")
        for part in attr_path:
            if part.startswith("__") and part.endswith("__") and len(part) > 4:
                return GlobalClass(verdict=Verdict.UNSAFE, reason=f"reaches Python internals ({part})")
        if len(attr_path) > 1:
            for part in attr_path[:-1] if len(attr_path) > 1 else ():
                if part in self.bad_components:
                    return GlobalClass(verdict=Verdict.UNSAFE, reason=f"attribute path walks into {part}")
        if _has_prefix(full, self.safe_prefixes):
            return GlobalClass(verdict=Verdict.SAFE, reason="known safe library")
        return GlobalClass(verdict=Verdict.SUSPICIOUS, reason="not on the known-safe list")


def _py3_name(module: str, name: str) -> tuple[str, str]:
    """What `pickle.Unpickler(fix_imports=True)` imports for a protocol 0–2 name."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


@cache
def default_policy() -> GlobalsPolicy:
    return GlobalsPolicy.load()
