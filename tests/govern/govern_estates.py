"""Constructed estates for govern tests: small ScanResults built in code."""

from __future__ import annotations

from datetime import UTC, datetime

from aiposture.model import Asset, Finding, Location, RunInfo, ScanResult


def asset(kind: str, name: str, path: str, line: int | None = None, **props) -> Asset:
    return Asset.make(kind, name, path, locations=[Location(path=path, line=line)], properties=props)


def finding(
    rule: str, path: str, severity: str = "high", asset_id: str | None = None, evidence: str = ""
) -> Finding:
    return Finding.make(
        rule, Location(path=path, line=1), asset=asset_id, title=rule, severity=severity, evidence=evidence
    )


def scan(assets: list[Asset], findings: list[Finding] | None = None) -> ScanResult:
    run = RunInfo(id="run-1", command="assess", target="/estate", started=datetime(2026, 1, 1, tzinfo=UTC))
    return ScanResult(run=run, assets=assets, findings=findings or [])


def support_estate() -> ScanResult:
    """One app exposed to the internet, with a RAG store over confidential data, an agent
    that browses the web and can send mail, and a production key in its .env file."""
    endpoint = asset("endpoint", "support-api", "support-bot/deploy.yaml", 3, public=True)
    store = asset("vector-store", "chroma", "support-bot/rag.py", 5, depends_on=["customers"])
    data = asset("dataset", "customers", "support-bot/data/customers.csv", sensitivity="confidential")
    agent = asset("agent", "helper", "support-bot/agent.py", 9, tools=["send_email", "browse_web", "lookup"])
    sdk = asset("sdk", "openai", "support-bot/app.py", 1)
    other = asset("sdk", "anthropic", "reports/main.py", 1)
    secret = finding("AIP-SECRET-001", "support-bot/.env.production", "critical")
    return scan([endpoint, store, data, agent, sdk, other], [secret])
