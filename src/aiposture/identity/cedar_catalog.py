"""What the access policies know about resources: models (provider, hosted outside or
not, approved) and tools (groups, high-risk classes), matched by name globs.

The tool risk classes ship as data (`data/identity/tool_risks.yaml`); a policy folder's
`catalog.yaml` lists its models and tools and may override a tool's classes
(`risk: []` says the tool is not high risk). Globs are matched with RE2, because tool
names come from model output, which an attacker can steer.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import re2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aiposture.errors import InputError
from aiposture.shipped import load_data_yaml

CATALOG_FILE = "catalog.yaml"
MAX_CATALOG_BYTES = 1 << 20


def _glob_to_re(glob: str) -> str:
    out, i = [], 0
    while i < len(glob):
        ch = glob[i]
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[" and "]" in glob[i + 2 :]:
            end = glob.index("]", i + 2)
            body = glob[i + 1 : end]
            neg = body.startswith("!")
            body = body[1:] if neg else body
            out.append("[" + ("^" if neg else "") + body.replace("\\", "\\\\").replace("^", "\\^") + "]")
            i = end
        else:
            out.append(re2.escape(ch))
        i += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def glob_matcher(globs: tuple[str, ...]):
    """One compiled, anchored, case-insensitive RE2 for a tuple of globs (None: empty)."""
    if not globs:
        return None
    pattern = "(?i)^(?:" + "|".join(_glob_to_re(g) for g in globs) + ")$"
    try:
        return re2.compile(pattern)
    except re2.error as exc:
        raise InputError(f"invalid glob in {list(globs)}: {exc}") from None


def globs_match(globs: tuple[str, ...], name: str) -> bool:
    matcher = glob_matcher(globs)
    return bool(matcher and matcher.match(name))


class RiskClass(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    rationale: str
    tools: list[str] = Field(min_length=1)


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: str
    provider: str = ""
    external: bool = True
    approved: bool = False
    groups: list[str] = Field(default_factory=list)


class ToolEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: str
    groups: list[str] = Field(default_factory=list)
    risk: list[str] | None = None  # None: from the risk classes; [] = not high risk


class CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timezone: str = "UTC"
    models: list[ModelEntry] = Field(default_factory=list)
    tools: list[ToolEntry] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


@lru_cache(maxsize=1)
def risk_classes() -> tuple[RiskClass, ...]:
    return tuple(RiskClass.model_validate(c) for c in load_data_yaml("identity", "tool_risks.yaml")["classes"])


class ModelInfo(BaseModel):
    name: str
    provider: str
    external: bool
    approved: bool
    groups: list[str]


class ToolInfo(BaseModel):
    name: str
    server: str
    groups: list[str]
    risk: list[str]  # risk class ids

    @property
    def risk_titles(self) -> list[str]:
        titles = {c.id: c.title for c in risk_classes()}
        return [titles.get(r, r) for r in self.risk]


class Catalog:
    """Resource facts for one policy folder."""

    def __init__(self, data: CatalogFile | None = None) -> None:
        self.data = data or CatalogFile()
        self.zone = ZoneInfo(self.data.timezone)
        known = {c.id for c in risk_classes()}
        for tool in self.data.tools:
            unknown = set(tool.risk or ()) - known
            if unknown:
                raise InputError(f"catalog tool {tool.match!r}: unknown risk class {sorted(unknown)[0]!r}")
            glob_matcher((tool.match,))
        for model in self.data.models:
            glob_matcher((model.match,))

    @classmethod
    def load(cls, folder: Path) -> Catalog:
        path = folder / CATALOG_FILE
        if not path.is_file():
            return cls()
        if path.stat().st_size > MAX_CATALOG_BYTES:
            raise InputError(f"{path}: larger than {MAX_CATALOG_BYTES} bytes")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return cls(CatalogFile.model_validate(raw))
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None
        except RecursionError:
            raise InputError(f"{path}: YAML nested too deeply") from None
        except yaml.YAMLError as exc:
            raise InputError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise InputError(f"{path}: {where}: {err['msg']}") from None

    def model(self, name: str) -> ModelInfo:
        for entry in self.data.models:
            if globs_match((entry.match,), name):
                return ModelInfo(name=name, provider=entry.provider, external=entry.external,
                                 approved=entry.approved, groups=entry.groups)
        # unknown model: assume it is hosted outside and not approved (fail closed)
        return ModelInfo(name=name, provider="", external=True, approved=False, groups=[])

    def tool(self, name: str) -> ToolInfo:
        groups: list[str] = []
        risk: list[str] | None = None
        for entry in self.data.tools:
            if globs_match((entry.match,), name):
                groups += [g for g in entry.groups if g not in groups]
                if risk is None and entry.risk is not None:
                    risk = list(entry.risk)
        if risk is None:
            risk = [c.id for c in risk_classes() if globs_match(tuple(c.tools), name)]
        server = name.split("/", 1)[0] if "/" in name else ""
        return ToolInfo(name=name, server=server, groups=groups, risk=risk)
