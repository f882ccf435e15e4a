"""Walks every SDK catalogue entry: its metadata is valid, it names packages and a way to
be seen in code, every import name is found in a synthesised import statement of its
language, every package resolves back to it, and every call pattern finds its example."""

from __future__ import annotations

import pytest

from aiposture.discover.base import ScanOutput
from aiposture.discover.catalogue import (
    ECOSYSTEM_OF,
    Catalogue,
    SdkEntry,
    catalogue,
    normalise_package,
)
from aiposture.discover.code import report_sdks
from aiposture.discover.textsite import TextSite

ENTRIES = catalogue().entries
REQUIRED = {
    "openai",
    "azure-openai",
    "anthropic",
    "google-genai",
    "google-vertex-ai",
    "aws-bedrock",
    "mistral",
    "cohere",
    "huggingface-transformers",
    "huggingface-hub",
    "langchain",
    "langgraph",
    "llamaindex",
    "semantic-kernel",
    "autogen",
    "crewai",
    "dspy",
    "ollama",
    "vllm",
    "litellm",
    "groq",
    "together",
    "replicate",
    "sentence-transformers",
    "tiktoken",
    "openai-agents",
    "mcp-sdk",
    "haystack",
    "vercel-ai-sdk",
    "spring-ai",
    "langchain4j",
    "chroma",
    "pinecone",
    "weaviate",
    "qdrant",
    "pgvector",
    "milvus",
    "azure-ai-search",
    "faiss",
    "lancedb",
}

STATEMENT = {
    "python": "import {name}\n",
    "javascript": 'import thing from "{name}";\n',
    "java": "import {name}.Thing;\n",
    "csharp": "using {name};\n",
    "go": 'package main\n\nimport (\n\t"fmt"\n\tsdk "{name}"\n)\n',
}


def _concrete(name: str, language: str) -> str:
    if not name.endswith("*"):
        return name
    return name[:-1] + ("example" if language == "python" or name.endswith("/*") else "-example")


def _import_cases() -> list[tuple[str, str, str]]:
    return [
        (entry.id, language, name)
        for entry in ENTRIES
        for language, items in entry.imports.items()
        for name in items
    ]


def _package_cases() -> list[tuple[str, str, str]]:
    return [
        (entry.id, eco, name) for entry in ENTRIES for eco, items in entry.packages.items() for name in items
    ]


def _call_cases() -> list[tuple[str, str, str]]:
    return [
        (entry.id, language, call.example)
        for entry in ENTRIES
        for language, calls in entry.calls.items()
        for call in calls
    ]


def test_required_sdks_are_catalogued() -> None:
    assert REQUIRED <= {entry.id for entry in ENTRIES}


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_entry_metadata(entry: SdkEntry) -> None:
    assert entry.name and entry.provider
    assert any(entry.packages.values()), "at least one package"
    assert any(entry.imports.values()) or any(entry.calls.values()), "at least one import name or call"
    for language in entry.calls:
        assert entry.imports.get(language) or entry.calls[language]
    if entry.kind == "vector-store":
        assert entry.id in REQUIRED or entry.provider


@pytest.mark.parametrize(("entry_id", "language", "name"), _import_cases())
def test_every_import_name_is_detected(entry_id: str, language: str, name: str) -> None:
    text = STATEMENT[language].format(name=_concrete(name, language))
    out = ScanOutput()
    found = report_sdks(TextSite("src/example", text), language, out)
    assert [e.id for e in found] == [entry_id]
    asset = out.assets[0]
    assert asset.properties["catalog_id"] == entry_id
    assert asset.properties["ecosystem"] == ECOSYSTEM_OF[language]
    assert asset.properties["package"]
    assert asset.locations[0].line == text.count("\n", 0, text.index(_concrete(name, language))) + 1


@pytest.mark.parametrize(("entry_id", "ecosystem", "name"), _package_cases())
def test_every_package_resolves_to_its_entry(entry_id: str, ecosystem: str, name: str) -> None:
    concrete = name[:-1] + "example" if name.endswith("*") else name
    hit = catalogue().package(ecosystem, concrete)
    assert hit is not None and hit.entry.id == entry_id
    assert normalise_package(ecosystem, hit.package) == normalise_package(ecosystem, concrete)


@pytest.mark.parametrize(("entry_id", "language", "example"), _call_cases())
def test_every_call_pattern_finds_its_example(entry_id: str, language: str, example: str) -> None:
    out = ScanOutput()
    found = report_sdks(TextSite("src/example", example + "\n"), language, out)
    assert entry_id in {e.id for e in found}


def test_unknown_modules_and_packages_are_not_ai() -> None:
    index = catalogue()
    for language, module in [
        ("python", "os.path"),
        ("python", "requests"),
        ("javascript", "express"),
        ("java", "java.util"),
        ("csharp", "System.Text"),
        ("go", "net/http"),
        ("python", "openai_helpers_local"),
        ("javascript", "openai-like"),
    ]:
        assert index.module(language, module) is None, module
    for ecosystem, package in [
        ("pypi", "boto3"),
        ("npm", "react"),
        ("maven", "com.google.guava:guava"),
        ("nuget", "Newtonsoft.Json"),
        ("golang", "github.com/gin-gonic/gin"),
    ]:
        assert index.package(ecosystem, package) is None, package


@pytest.mark.parametrize(
    "bad",
    [
        [{"id": "x", "name": "X", "kind": "sdk", "provider": "p", "packages": {}}],
        [{"id": "x", "name": "X", "kind": "model", "provider": "p", "packages": {"pypi": ["x"]}}],
        [{"id": "x", "name": "X", "kind": "sdk", "provider": "p", "packages": {"cargo": ["x"]}}],
        [
            {"id": "x", "name": "X", "kind": "sdk", "provider": "p", "packages": {"pypi": ["x"]}},
            {"id": "x", "name": "Y", "kind": "sdk", "provider": "p", "packages": {"pypi": ["y"]}},
        ],
        [
            {
                "id": "x",
                "name": "X",
                "kind": "sdk",
                "provider": "p",
                "packages": {"pypi": ["x"]},
                "calls": {
                    "python": [{"hint": "ab", "pattern": "(unclosed", "package": "x", "example": "ab"}]
                },
            }
        ],
    ],
)
def test_invalid_catalogue_is_refused(bad: list) -> None:
    with pytest.raises(ValueError):
        Catalogue.model_validate({"entries": bad})
