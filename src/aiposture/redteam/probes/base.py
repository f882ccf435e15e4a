"""A probe: one attack goal with its prompts (listed or generated), the context it
plants (documents, mails, tool results for indirect injection), the scorers that
decide success, its severity and its OWASP LLM 2025 / MITRE ATLAS mapping.

Probes are validated by pydantic when loaded, the way Prowler validates a check's
metadata; the loader refuses duplicate ids and framework ids it does not know.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aiposture.model import Severity
from aiposture.redteam.model import Document

CATEGORIES: dict[str, str] = {
    "prompt_injection": "Direct prompt injection",
    "jailbreak": "Jailbreak",
    "system_prompt_leakage": "System prompt leakage",
    "sensitive_data_leakage": "Sensitive data leakage",
    "indirect_injection": "Indirect prompt injection",
    "tool_misuse": "Tool misuse and excessive agency",
    "insecure_output": "Insecure output handling",
    "harmful_content": "Harmful content",
    "unbounded_consumption": "Unbounded consumption",
}


class ScorerRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class GeneratorRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class Probe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    title: str
    goal: str
    category: str
    family: str = ""
    severity: Severity
    frameworks: dict[str, list[str]]
    scorers: list[ScorerRef] = Field(min_length=1)
    combine: Literal["any", "all"] = "any"
    prompts: list[str] = Field(default_factory=list)
    generator: GeneratorRef | None = None
    documents: list[Document] = Field(default_factory=list)
    escalation: list[str] = Field(default_factory=list)
    remediation: str = ""
    default: bool = True

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r}")
        return value

    @field_validator("frameworks")
    @classmethod
    def _both_frameworks(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for key in ("owasp-llm-2025", "mitre-atlas"):
            if not value.get(key):
                raise ValueError(f"needs a {key} mapping")
        return value


class PromptGenerator:
    """Base of generated prompt families: `generate(params, rng)` returns the
    prompts; the rng is seeded by the run so the same seed gives the same prompts."""

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def generate(self, params: dict[str, Any], rng: random.Random) -> list[str]:
        raise NotImplementedError
