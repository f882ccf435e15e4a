"""Hosted models named in code and config: model ids passed to SDK calls, Hugging Face
ids given to `from_pretrained`, Azure OpenAI deployment names.

Two RE2 patterns find candidates (a model-ish keyword / property / builder method with a
string value, and a known call with a string first argument); `model_providers.yaml`
decides which strings are model ids and who serves them. Written here because no library
knows model naming across providers; the knowledge itself is data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

import re2
from pydantic import BaseModel, ConfigDict, Field, field_validator

from aiposture.discover.catalogue import load_data_yaml
from aiposture.model import Asset, Location

Reference = Literal["model-id", "deployment"]

# name = "value" | name: 'value' | .name("value") | Name: aws.String("value")  (Go, C# named args)
_KEYWORD = (
    r"""(?:\b|\.)([A-Za-z0-9_]{0,40}(?:model|Model|MODEL|deployment|Deployment|DEPLOYMENT)[A-Za-z0-9_]{0,30})['"]?"""
    r"""\s*(?:[:=]\s*(?:[\w.]+\(\s*)?|\(\s*)['"`]([^'"`\n\\]{1,200})['"`]"""
)
_OPTIONS = re2.Options()
_OPTIONS.max_mem = 64 << 20
_CALL_TEMPLATE = r"""\b({names})\s*\(\s*['"`]([^'"`\n\\]{{1,200}})['"`]"""



def _check_re2(pattern: str) -> None:
    """Validators must raise ValueError for pydantic to report a bad pattern."""
    try:
        re2.compile(pattern)
    except re2.error as exc:
        raise ValueError(f"invalid RE2 pattern {pattern!r}: {exc}") from exc

class Argument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    reference: Reference = "model-id"
    provider: str | None = None


class Call(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^\w+$")
    provider: str | None = None


class ProviderRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    provider: str
    patterns: list[str] = Field(min_length=1)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            _check_re2(pattern)
        return patterns


class ModelKnowledge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    arguments: list[Argument]
    calls: list[Call]
    reject: list[str]
    providers: list[ProviderRule]


@dataclass(frozen=True)
class ModelRef:
    name: str
    provider: str | None
    reference: Reference
    offset: int


class ModelMatcher:
    """Compiled form of `model_providers.yaml`."""

    def __init__(self, knowledge: ModelKnowledge) -> None:
        self.arguments = {a.name.lower(): a for a in knowledge.arguments}
        self.calls = {c.name: c for c in knowledge.calls}
        # Identifiers are matched as ASCII: Unicode \w in counted repeats makes a program
        # too big for RE2's default DFA budget (it would fall back to the NFA and log).
        self.keyword = re2.compile(_KEYWORD, _OPTIONS)
        names = "|".join(sorted(self.calls, key=len, reverse=True))
        self.call = re2.compile(_CALL_TEMPLATE.format(names=names))
        self.reject = [re2.compile(p) for p in knowledge.reject]
        self.providers = [(rule.provider, [re2.compile(p) for p in rule.patterns])
                          for rule in knowledge.providers]

        # Model ids repeat across an estate: remember answers (bounded, per process).
        self.classify = lru_cache(maxsize=8192)(self._classify)  # type: ignore[method-assign]
        self.plausible = lru_cache(maxsize=8192)(self._plausible)  # type: ignore[method-assign]

    def _classify(self, value: str) -> str | None:
        """The provider that serves model id `value`, or None when the id doesn't say."""
        for provider, patterns in self.providers:
            if any(p.search(value) for p in patterns):
                return provider
        return None

    def _plausible(self, value: str) -> bool:
        return 1 < len(value) <= 200 and not any(p.search(value) for p in self.reject)

    def find(self, text: str, fallback: str | None = None, *,
             keyword_names_only: bool = False) -> Iterator[ModelRef]:
        """Model references in `text`. `fallback` is the provider for unclassified ids
        given to a known model argument (the single model-serving SDK of the file)."""
        for match in self.keyword.finditer(text):
            ref = self._from_keyword(match.group(1), match.group(2), match.start(2), fallback)
            if ref is not None:
                yield ref
        if keyword_names_only:
            return
        for match in self.call.finditer(text):
            value = match.group(2)
            if not self.plausible(value):
                continue
            call = self.calls[match.group(1)]
            provider = call.provider or self.classify(value)
            if provider:
                reference: Reference = "deployment" if call.name == "azure" else "model-id"
                yield ModelRef(value, provider, reference, match.start(2))

    def keyword_ref(self, name: str, value: str, offset: int) -> ModelRef | None:
        """A config `name = value` pair as a model reference (classified ids only)."""
        lowered = name.lower()
        if "model" not in lowered and "deployment" not in lowered:
            return None
        return self._from_keyword(name.rsplit(".", 1)[-1], value, offset, None)

    def _from_keyword(self, name: str, value: str, offset: int, fallback: str | None) -> ModelRef | None:
        lowered = name.lower()
        if any(word in lowered for word in ("path", "dir", "file", "type", "class", "url", "version")):
            return None
        if not self.plausible(value):
            return None
        argument = self.arguments.get(lowered)
        if argument is None and "deployment" in lowered and "azure" in lowered:
            argument = Argument(name=lowered, reference="deployment", provider="azure-openai")
        if argument is not None and argument.reference == "deployment":
            return ModelRef(value, argument.provider, "deployment", offset)
        provider = self.classify(value)
        if provider is None and argument is not None:
            provider = fallback
        if provider is None:
            return None
        return ModelRef(value, provider, "model-id", offset)


@cache
def model_matcher() -> ModelMatcher:
    data = load_data_yaml("model_providers.yaml")
    return ModelMatcher(ModelKnowledge.model_validate(data))


def model_asset(ref: ModelRef, location: Location) -> Asset:
    """A hosted model (scope "": one per estate) or an Azure deployment (its own scope, so
    a deployment called "gpt-4o" stays apart from the model id "gpt-4o")."""
    scope = "azure-deployment" if ref.reference == "deployment" else ""
    return Asset.make(
        "model",
        ref.name,
        scope,
        provider=ref.provider,
        locations=[location],
        properties={"provider": ref.provider, "reference": ref.reference},
    )
