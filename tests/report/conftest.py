from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aiposture.model import Asset, Finding, Location, RunInfo, ScanResult, Severity


@pytest.fixture
def estate_result() -> ScanResult:
    account = Asset.make("cloud-resource", "contoso-openai", "infra/main.tf#azurerm_cognitive_account.openai",
                         provider="azure", locations=[Location(path="infra/main.tf", line=7)],
                         properties={"resource_type": "azurerm_cognitive_account", "iac": "terraform",
                                     "public": True})
    deployment = Asset.make("cloud-resource", "support-gpt4o", "infra/main.tf#deployment", provider="azure",
                            properties={"resource_type": "azurerm_cognitive_deployment", "iac": "terraform",
                                        "depends_on": [account.id]})
    assets = [
        Asset.make("sdk", "OpenAI", version="1.51.0", provider="openai",
                   locations=[Location(path="app/requirements.txt", line=1), Location(path="app/app.py", line=3)],
                   properties={"ecosystem": "pypi", "package": "openai"}),
        Asset.make("sdk", "Anthropic", version="^0.32.1", provider="anthropic",
                   properties={"ecosystem": "npm", "package": "@anthropic-ai/sdk"}),
        Asset.make("framework", "LangChain4j", version="0.36.2",
                   properties={"ecosystem": "maven", "package": "dev.langchain4j:langchain4j"}),
        Asset.make("sdk", "Ollama", properties={"ecosystem": "golang", "package": "github.com/ollama/ollama"}),
        Asset.make("model", "gpt-4o", provider="openai", locations=[Location(path="app/app.py", line=20)]),
        Asset.make("model", "llama3.1:8b", provider="ollama", properties={"local": True}),
        Asset.make("model-file", "churn.pkl", "models/churn.pkl",
                   properties={"format": "pickle", "sha256": "a" * 64, "size": 73, "verdict": "unsafe"}),
        Asset.make("endpoint", "https://contoso-openai.openai.azure.com/", provider="azure-openai"),
        account, deployment,
        Asset.make("vector-store", "Chroma", properties={"ecosystem": "pypi", "package": "chromadb"}),
        Asset.make("vector-store", "contoso-wiki-search", "infra/main.tf#search", provider="azure"),
        Asset.make("mcp-server", "filesystem", ".vscode/mcp.json#filesystem", properties={"transport": "stdio"}),
        Asset.make("agent", "invoice_payer", "agents/agents.yaml#invoice_payer",
                   properties={"tools": ["send_payment", "send_email"]}),
        Asset.make("dataset", "obsidian-docs", "data/obsidian", properties={"sensitivity": "confidential"}),
    ]
    findings = [
        Finding.make("AIP-SECRET-001", Location(path="app/.env", line=3), title="Hard-coded OpenAI API key",
                     severity=Severity.HIGH, evidence="sk-a…[51 chars]", remediation="Move it to a vault.",
                     frameworks={"owasp-llm-2025": ["LLM02"]}),
        Finding.make("AIP-IAC-001", Location(path="infra/main.tf", line=7), asset=account.id,
                     title="AI resource reachable from the internet", severity=Severity.MEDIUM,
                     frameworks={"owasp-llm-2025": ["LLM03"], "mitre-atlas": ["AML.T0049"]}),
        Finding.make("AIP-MODEL-001", None, title="Pickle runs code on load", severity=Severity.CRITICAL),
    ]
    run = RunInfo(id="r1", command="discover", target="/estate", started=datetime(2026, 11, 1, tzinfo=UTC),
                  files_scanned=42)
    return ScanResult(run=run, assets=assets, findings=findings)
