"""The AI-BOM is strict CycloneDX 1.6: models as machine-learning-model with a
modelCard, packages as libraries with purls, services at the top level, relations
recorded as dependencies."""

from __future__ import annotations

import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from aiposture.report.cyclonedx import CycloneDxWriter


def test_bom_is_valid_and_maps_every_kind(estate_result):
    text = CycloneDxWriter().render(estate_result)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    components = {c["name"]: c for c in bom["components"]}
    services = {s["name"]: s for s in bom["services"]}

    assert components["OpenAI"]["type"] == "library"
    assert components["OpenAI"]["purl"] == "pkg:pypi/openai@1.51.0"
    assert components["Anthropic"]["purl"] == "pkg:npm/%40anthropic-ai/sdk@%5E0.32.1"
    assert components["LangChain4j"]["purl"] == "pkg:maven/dev.langchain4j/langchain4j@0.36.2"
    assert components["LangChain4j"]["type"] == "framework"
    assert components["Ollama"]["purl"] == "pkg:golang/github.com/ollama/ollama"
    assert sorted(o["location"] for o in components["OpenAI"]["evidence"]["occurrences"]) == [
        "app/app.py", "app/requirements.txt"]

    assert components["gpt-4o"]["type"] == "machine-learning-model"
    assert components["gpt-4o"]["modelCard"]["properties"][0] == {"name": "aiposture:provider", "value": "openai"}
    churn = components["churn.pkl"]
    assert churn["hashes"] == [{"alg": "SHA-256", "content": "a" * 64}]
    assert {"name": "aiposture:scan-verdict", "value": "unsafe"} in churn["modelCard"]["properties"]
    assert components["obsidian-docs"]["type"] == "data"
    assert components["invoice_payer"]["type"] == "application"
    assert components["Chroma"]["type"] == "library"

    assert "type" not in services["contoso-openai"]  # services are services, not components of a made-up type
    assert services["https://contoso-openai.openai.azure.com/"]["endpoints"] == [
        "https://contoso-openai.openai.azure.com/"]
    assert {"contoso-wiki-search", "filesystem", "openai model API"} <= set(services)
    assert "ollama model API" not in services  # a local model has no hosted API


def test_dependencies_record_relations(estate_result):
    bom = json.loads(CycloneDxWriter().render(estate_result))
    deps = {d["ref"]: d.get("dependsOn", []) for d in bom["dependencies"]}
    by_name = {a.name: a.id for a in estate_result.assets}
    assert deps[by_name["support-gpt4o"]] == [by_name["contoso-openai"]]
    assert deps[by_name["gpt-4o"]] == ["provider-api:openai"]


def test_empty_estate_is_a_valid_bom(estate_result):
    empty = estate_result.model_copy(update={"assets": [], "findings": []})
    text = CycloneDxWriter().render(empty)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None


def test_validate_bom_rejects_an_invalid_document(estate_result):
    import pytest

    from aiposture.report.cyclonedx import BomValidationError, validate_bom

    good = CycloneDxWriter().render(estate_result)
    validate_bom(good)
    doc = json.loads(good)
    doc["components"][0]["type"] = "service"  # the mistake some AI-BOM tools make
    with pytest.raises(BomValidationError, match="not valid CycloneDX 1.6"):
        validate_bom(json.dumps(doc))
