"""The approved-model registry: a policy file that lists the models an organisation
allows, by SHA-256 (model files) or by name, provider and version (hosted models).
`discover`/`assess` report models that are not approved; the gateway refuses
unapproved hosted models. Format: docs/models.md."""

from __future__ import annotations

from pathlib import Path

import re2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aiposture.errors import InputError

_STRICT = ConfigDict(extra="forbid", frozen=True)


def _glob(pattern: str) -> re2._Regexp:
    parts = []
    for ch in pattern:
        parts.append(".*" if ch == "*" else "." if ch == "?" else re2.escape(ch))
    return re2.compile("(?i)^" + "".join(parts) + "$")


class ApprovedModel(BaseModel):
    """One approved model: `sha256` for a file, or `name` (glob `*`/`?`, case-insensitive)
    with optional `provider` and `version` for a hosted model."""

    model_config = _STRICT
    name: str | None = None
    provider: str | None = None
    version: str | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    note: str | None = None
    expires: str | None = None

    @field_validator("sha256")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value

    @model_validator(mode="after")
    def _has_key(self) -> ApprovedModel:
        if not self.sha256 and not self.name:
            raise ValueError("an approved model needs a sha256 or a name")
        return self


class ApprovedModelsFile(BaseModel):
    model_config = _STRICT
    approved_models: list[ApprovedModel] = Field(default_factory=list)


class ApprovedModels:
    def __init__(self, entries: list[ApprovedModel]) -> None:
        self.entries = entries
        self._hashes = {e.sha256 for e in entries if e.sha256}
        self._named = [(e, _glob(e.name)) for e in entries if e.name]

    @classmethod
    def load(cls, path: Path | str) -> ApprovedModels:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise InputError(f"cannot read approved-model registry {path}: {exc.strerror or exc}") from exc
        except yaml.YAMLError as exc:
            raise InputError(f"approved-model registry {path} is not valid YAML: {exc}") from exc
        if isinstance(data, dict) and "approved_models" not in data and isinstance(data.get("models"), list):
            data = {"approved_models": data["models"]}
        try:
            parsed = ApprovedModelsFile.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(f"approved-model registry {path}: {where}: {first['msg']}") from exc
        return cls(parsed.approved_models)

    def is_approved(
        self,
        *,
        name: str | None = None,
        provider: str | None = None,
        sha256: str | None = None,
        version: str | None = None,
    ) -> bool:
        if sha256 and sha256.lower() in self._hashes:
            return True
        if not name:
            return False
        if provider is None and "/" in name:
            provider, _, name = name.partition("/")
        for entry, pattern in self._named:
            if not pattern.match(name):
                continue
            if entry.provider and (provider or "").lower() != entry.provider.lower():
                continue
            if entry.version and version != entry.version:
                continue
            return True
        return False
