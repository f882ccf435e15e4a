"""Attack paths on small constructed estates: which paths are found, their severity,
determinism and the bounds on enumeration."""

from __future__ import annotations

import pytest
from govern_estates import asset, finding, scan

from aiposture.govern.apps import app_of_path
from aiposture.govern.attack_graph import build_graph
from aiposture.govern.attack_paths import analyse, path_findings
from aiposture.govern.knowledge import is_privileged_tool, knowledge


def _paths(result):
    return {(p.rule, p.labels[0], p.labels[-1]): p for p in analyse(result).paths}


def test_support_estate_paths(support_estate):
    paths = _paths(support_estate)
    rules = {rule for rule, _, _ in paths}
    assert {"AIP-PATH-001", "AIP-PATH-002", "AIP-PATH-003", "AIP-PATH-007"} <= rules
    internet_data = paths[("AIP-PATH-001", "internet", "dataset: customers (confidential)")]
    assert internet_data.labels == (
        "internet",
        "endpoint: support-api",
        "support-bot",
        "dataset: customers (confidential)",
    )
    assert internet_data.severity == "critical"
    web_tool = paths[("AIP-PATH-003", "untrusted input: web", "tool: send_email")]
    assert web_tool.labels == ("untrusted input: web", "agent: helper", "tool: send_email")
    assert not any(label.endswith("lookup") for _, _, label in paths)  # an unprivileged tool is no jewel


@pytest.mark.parametrize(
    ("agent_props", "tools", "jewels"),
    [
        ({}, ["send_email", "browse_web", "run_shell"], {"tool: send_email", "tool: run_shell"}),
        ({"human_approval": True}, ["send_email", "browse_web", "run_shell"], set()),
        ({}, [{"name": "send_email", "approval": "required"}, "browse_web", "run_shell"], {"tool: run_shell"}),
        ({}, [{"name": "send_email", "requires_approval": False}, "browse_web"], {"tool: send_email"}),
    ],
)
def test_only_an_agent_without_an_approval_gate_reaches_its_privileged_tools(agent_props, tools, jewels):
    agent = asset("agent", "helper", "bot/agent.py", 3, tools=tools, **agent_props)
    paths = _paths(scan([agent]))
    assert {jewel for rule, entry, jewel in paths if rule == "AIP-PATH-003"} == jewels
    labels = {d["label"] for _, d in build_graph(scan([agent])).nodes(data=True)}
    assert ("tool: send_email (human approval)" in labels) == ("tool: send_email" not in jewels)


def test_paths_become_findings_that_list_the_path(support_estate):
    analysis = analyse(support_estate)
    findings = path_findings(analysis.paths, analysis.graph)
    assert len(findings) == len(analysis.paths) and len({f.id for f in findings}) == len(findings)
    first = findings[0]
    assert " -> " in first.evidence and "hops" in first.evidence
    assert first.frameworks["owasp-llm-2025"]
    assert first.location is not None


def test_deterministic(support_estate):
    a = [p.nodes for p in analyse(support_estate).paths]
    shuffled = support_estate.model_copy(update={"assets": list(reversed(support_estate.assets))})
    assert [p.nodes for p in analyse(shuffled).paths] == a


def test_no_entry_or_no_jewel_means_no_path():
    private = scan(
        [
            asset("endpoint", "api", "app/deploy.yaml"),
            asset("dataset", "d", "app/d.csv", sensitivity="restricted"),
        ]
    )
    assert analyse(private).paths == []
    public_but_harmless = scan(
        [
            asset("endpoint", "api", "app/deploy.yaml", public=True),
            asset("dataset", "d", "app/d.csv", sensitivity="public"),
        ]
    )
    assert analyse(public_but_harmless).paths == []


def test_secret_unlocks_the_resource_named_by_its_finding():
    resource = asset("cloud-resource", "aoai-prod", "infra/main.tf", 3, environment="production")
    key = finding("AIP-SECRET-003", "tools/deploy.py", "critical", asset_id=resource.id)
    paths = analyse(scan([resource, asset("sdk", "openai", "tools/deploy.py")], [key])).paths
    assert [p.rule for p in paths] == []  # the key reaches the resource, but a resource is no jewel by itself
    graph = build_graph(scan([resource], [key]))
    assert graph.has_edge(f"secret:{key.id}", f"asset:{resource.id}")


def test_internet_reaches_production_credentials_held_by_an_exposed_app():
    estate = scan(
        [asset("endpoint", "api", "web/deploy.yaml", public=True)],
        [finding("AIP-SECRET-001", "web/.env.prod", "critical")],
    )
    paths = analyse(estate).paths
    assert [p.rule for p in paths] == ["AIP-PATH-007"]


def test_long_paths_lose_a_severity_level():
    chain = [
        asset("vector-store", "s0", "app/s0.py", depends_on=["s1"]),
        asset("vector-store", "s1", "lib1/s1.py", depends_on=["s2"]),
        asset("vector-store", "s2", "lib2/s2.py", depends_on=["secrets"]),
        asset("dataset", "secrets", "other/x.csv", sensitivity="secret"),
        asset("endpoint", "api", "app/deploy.yaml", public=True),
    ]
    paths = [p for p in analyse(scan(chain)).paths if p.labels[-1].startswith("dataset: secrets")]
    assert paths and paths[0].hops > knowledge().long_path_hops
    assert paths[0].severity == "high"  # critical, one level down


def test_enumeration_is_bounded():
    assets = [asset("endpoint", f"e{i}", f"app{i}/deploy.yaml", public=True) for i in range(150)]
    assets += [asset("dataset", f"d{i}", f"app{i}/d.csv", sensitivity="pii") for i in range(150)]
    assets += [asset("agent", f"a{i}", f"app{i}/agent.py", tools=["run_shell"]) for i in range(150)]
    analysis = analyse(scan(assets))
    assert len(analysis.paths) == knowledge().max_paths
    assert analysis.truncated


def test_tool_privilege_classification():
    assert is_privileged_tool("send_email") and is_privileged_tool({"name": "x", "privileged": True})
    assert not is_privileged_tool("search_docs") and not is_privileged_tool(
        {"name": "exec", "privileged": False}
    )


@pytest.mark.parametrize(
    ("path", "app"),
    [
        ("app.py", "."),
        ("support-bot/app.py", "support-bot"),
        ("support-bot/src/deep/app.py", "support-bot"),
        ("apps/support-bot/app.py", "apps/support-bot"),
        ("apps/readme.md", "apps"),
        ("services/billing/x/y.go", "services/billing"),
        (".vscode/mcp.json", "."),
        ("apps/bot/.vscode/mcp.json", "apps/bot"),
        (".github/workflows/ci.yml", "."),
        ("weird\\\\windows\\\\path.py", "weird"),
    ],
)
def test_app_of_path(path, app):
    assert app_of_path(path) == app


def test_findings_add_relations():
    """An exposure finding makes its asset internet-reachable; a broad-capability finding
    makes its MCP server a crown jewel; a remote MCP server is untrusted input."""
    resource = asset("cloud-resource", "llama", "app/k8s.yaml")
    data = asset("dataset", "hr", "app/hr.csv", sensitivity="confidential")
    resource.properties["depends_on"] = ["hr"]
    exposed = finding("AIP-IAC-006", "app/k8s.yaml", asset_id=resource.id)
    paths = analyse(scan([resource, data], [exposed])).paths
    assert [(p.rule, p.labels[0]) for p in paths] == [("AIP-PATH-001", "internet")]
    fs = asset("mcp-server", "filesystem", ".vscode/mcp.json")
    remote = asset("mcp-server", "tickets", ".vscode/mcp.json", remote=True)
    broad = finding("AIP-MCP-005", ".vscode/mcp.json", asset_id=fs.id)
    labels = [p.labels for p in analyse(scan([fs, remote], [broad])).paths]
    assert labels == [
        ("untrusted input: remote MCP server", ".", "mcp-server: filesystem", "capability: AIP-MCP-005")
    ]
