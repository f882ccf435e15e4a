"""MCP server configs of every client layout and agent definitions of the common
frameworks: assets, findings, masking of secrets, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiposture.discover.agents import AgentScanner, classify, strip_jsonc
from aiposture.discover.base import MalformedInput, ScanOutput, SourceFile

OPENAI_KEY = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAB7cDE0fGH3iJK6l"
GITHUB_PAT = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def _scan(tmp_path: Path, rel: str, text: str | bytes) -> ScanOutput:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    scanner = AgentScanner()
    assert scanner.wants(rel, path.name, path.suffix.lower())
    out = ScanOutput()
    scanner.scan(SourceFile(path=path, rel=rel, size=path.stat().st_size), out)
    return out


def _servers(out: ScanOutput) -> dict:
    return {a.name: a for a in out.assets if a.kind == "mcp-server"}


def _rules(out: ScanOutput, name: str) -> set[str]:
    asset = _servers(out)[name]
    return {f.rule for f in out.findings if f.asset == asset.id}


def _secrets_available() -> bool:
    try:
        from aiposture.detect.secrets import find_secrets  # noqa: F401
    except ImportError:
        return False
    return True


needs_secrets = pytest.mark.skipif(not _secrets_available(), reason="aiposture.detect.secrets not installed")


# --- layouts -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rel", "doc", "client", "names"),
    [
        (
            "claude_desktop_config.json",
            {"mcpServers": {"fs": {"command": "npx", "args": ["-y", "x@1.0.0"]}}},
            "claude-desktop",
            {"fs"},
        ),
        (
            ".mcp.json",
            {"mcpServers": {"a": {"type": "stdio", "command": "uvx", "args": ["a==1"]}}},
            "claude-code",
            {"a"},
        ),
        (
            ".cursor/mcp.json",
            {"mcpServers": {"linear": {"url": "https://mcp.linear.app/sse"}}},
            "cursor",
            {"linear"},
        ),
        (
            ".vscode/mcp.json",
            {"servers": {"gh": {"type": "http", "url": "https://api.githubcopilot.com/mcp/"}}, "inputs": []},
            "vscode",
            {"gh"},
        ),
        (
            "proj/.vscode/settings.json",
            {"editor.fontSize": 12, "mcp": {"servers": {"t": {"command": "t"}}}},
            "vscode",
            {"t"},
        ),
        (
            ".codeium/windsurf/mcp_config.json",
            {"mcpServers": {"w": {"serverUrl": "https://w.example.com/mcp"}}},
            "windsurf",
            {"w"},
        ),
        (
            "cline_mcp_settings.json",
            {
                "mcpServers": {
                    "c": {"command": "node", "args": ["s.js"], "autoApprove": ["read"], "disabled": True}
                }
            },
            "cline",
            {"c"},
        ),
        (
            ".gemini/settings.json",
            {"mcpServers": {"g": {"httpUrl": "https://g.example.com/mcp"}}},
            "gemini-cli",
            {"g"},
        ),
        (
            ".zed/settings.json",
            {"context_servers": {"z": {"command": {"path": "zs", "args": ["--stdio"]}}}},
            "generic",
            {"z"},
        ),
        (
            ".continue/config.json",
            {
                "experimental": {
                    "modelContextProtocolServers": [
                        {
                            "transport": {
                                "type": "stdio",
                                "command": "uvx",
                                "args": ["mcp-server-sqlite==0.6.2"],
                            }
                        }
                    ]
                }
            },
            "continue",
            {"server-1"},
        ),
    ],
)
def test_client_layouts(tmp_path, rel, doc, client, names):
    out = _scan(tmp_path, rel, json.dumps(doc, indent=2))
    servers = _servers(out)
    assert set(servers) == names
    for asset in servers.values():
        assert asset.properties["client"] == client
        assert asset.locations[0].path == rel and asset.locations[0].line


def test_continue_yaml_block(tmp_path):
    text = (
        "name: tools\nversion: 0.0.1\nschema: v1\nmcpServers:\n  - name: browser\n    command: npx\n"
        '    args: ["-y", "@playwright/mcp@0.0.29"]\n  - name: remote\n    type: sse\n'
        "    url: https://tools.example.com/sse\n"
    )
    out = _scan(tmp_path, ".continue/mcpServers/tools.yaml", text)
    servers = _servers(out)
    assert servers["browser"].properties["package"] == "@playwright/mcp"
    assert servers["browser"].properties["package_version"] == "0.0.29"
    assert (
        servers["remote"].properties["transport"] == "sse" and servers["remote"].properties["remote"] is True
    )
    assert _rules(out, "browser") == set() and _rules(out, "remote") == {"AIP-MCP-002"}


# --- properties and findings ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("server", "rules"),
    [
        (
            {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/"]},
            {"AIP-MCP-004", "AIP-MCP-005"},
        ),
        (
            {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.7.1", "~"]},
            {"AIP-MCP-005"},
        ),
        ({"command": "npx", "args": ["@modelcontextprotocol/server-filesystem@2025.7.1", "./docs"]}, set()),
        ({"command": "npx", "args": ["-y", "some-mcp@latest"]}, {"AIP-MCP-004"}),
        ({"command": "uvx", "args": ["mcp-server-fetch"]}, {"AIP-MCP-004"}),
        ({"command": "uvx", "args": ["--from", "git+https://x", "mcp-server-fetch==2025.1.17"]}, set()),
        ({"command": "pipx", "args": ["run", "mcp-server-time"]}, {"AIP-MCP-004"}),
        (
            {"command": "docker", "args": ["run", "-i", "--rm", "-v", "/:/host", "mcp/filesystem"]},
            {"AIP-MCP-005"},
        ),
        (
            {"command": "docker", "args": ["run", "--mount", "type=bind,source=/,target=/h", "img"]},
            {"AIP-MCP-005"},
        ),
        ({"command": "bash", "args": ["-c", "cd /srv && exec ./mcp"]}, {"AIP-MCP-006"}),
        ({"command": "cmd", "args": ["/c", "npx", "-y", "x@1.2.3"]}, {"AIP-MCP-006"}),
        ({"type": "http", "url": "https://mcp.example.com/mcp"}, {"AIP-MCP-002"}),
        (
            {
                "type": "http",
                "url": "https://mcp.example.com/mcp",
                "headers": {"Authorization": "Bearer ${input:t}"},
            },
            set(),
        ),
        ({"url": "http://mcp.example.com/sse", "headers": {"X-API-Key": "${env:KEY}"}}, {"AIP-MCP-003"}),
        ({"url": "http://localhost:3000/mcp"}, set()),
        ({"url": "https://mcp.example.com/mcp", "oauth": {"clientId": "abc"}}, set()),
        ({"command": "npx", "args": ["mcp-remote", "https://remote.example.com/sse"]}, {"AIP-MCP-002"}),
        (
            {
                "command": "npx",
                "args": [
                    "mcp-remote@0.1.18",
                    "https://remote.example.com/sse",
                    "--header",
                    "Authorization: Bearer ${AUTH}",
                ],
            },
            set(),
        ),
        ({"command": "node", "args": ["server.js"], "env": {"API_KEY": "${input:key}", "DEBUG": "1"}}, set()),
        (
            {"command": "node", "args": ["server.js"], "env": {"PGPASSWORD": "correct-horse-battery"}},
            {"AIP-MCP-001"},
        ),
        ({"command": "node", "args": ["s.js", "--token", "tok_live_8f7a6b5c4d3e2f1a"]}, {"AIP-MCP-001"}),
        ({"command": "node", "args": ["s.js", "--api-key=YOUR_API_KEY"]}, set()),
        (
            {"command": "docker", "args": ["run", "-e", f"GITHUB_TOKEN={GITHUB_PAT}", "img@sha256:0"]},
            {"AIP-MCP-001"},
        ),
        ({"url": "https://u:pa55word@mcp.example.com/mcp"}, {"AIP-MCP-001"}),
    ],
)
def test_server_findings(tmp_path, server, rules):
    out = _scan(tmp_path, "mcp.json", json.dumps({"mcpServers": {"s": server}}))
    assert GITHUB_PAT not in " ".join(x.model_dump_json() for x in [*out.assets, *out.findings])
    assert _rules(out, "s") == rules, [f.evidence for f in out.findings]


def test_properties_are_what_the_bom_needs(tmp_path):
    doc = {
        "mcpServers": {
            "gh": {
                "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
                "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${input:pat}"},
            }
        }
    }
    props = _servers(_scan(tmp_path, "mcp.json", json.dumps(doc)))["gh"].properties
    assert props == {
        "client": "generic",
        "transport": "stdio",
        "command": "npx",
        "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
        "url": None,
        "remote": False,
        "env": ["GITHUB_PERSONAL_ACCESS_TOKEN"],
        "headers": [],
        "depends_on": [],
        "launcher": "npx",
        "ecosystem": "npm",
        "package": "@modelcontextprotocol/server-github",
        "package_version": "2025.4.8",
        "auto_install": True,
    }


@needs_secrets
def test_secrets_are_found_and_never_in_clear(tmp_path):
    doc = {
        "mcpServers": {
            "gh": {
                "command": "docker",
                "args": ["run", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/mcp"],
                "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": GITHUB_PAT},
            },
            "ai": {
                "type": "http",
                "url": f"https://ai.example.com/mcp?key={OPENAI_KEY}",
                "headers": {"Authorization": f"Bearer {OPENAI_KEY}"},
            },
            "cli": {"command": "node", "args": ["srv.js", OPENAI_KEY]},
        }
    }
    out = _scan(tmp_path, ".vscode/mcp.json", json.dumps(doc, indent=2))
    dumped = " ".join(x.model_dump_json() for x in [*out.assets, *out.findings])
    assert OPENAI_KEY not in dumped and GITHUB_PAT not in dumped
    assert OPENAI_KEY[8:30] not in dumped and GITHUB_PAT[4:30] not in dumped
    assert "AIP-MCP-001" in _rules(out, "gh") and "AIP-MCP-001" in _rules(out, "ai")
    assert "AIP-MCP-001" in _rules(out, "cli")
    assert _servers(out)["ai"].properties["url"] == "https://ai.example.com/mcp?key=***"


def test_secret_by_name_without_detector(tmp_path, monkeypatch):
    import aiposture.discover.mcp as mcp
    import aiposture.discover.mcp_risks as mcp_risks

    monkeypatch.setattr(mcp, "secret_types", lambda value: [])
    monkeypatch.setattr(mcp_risks, "secret_types", lambda value: [])
    doc = {"mcpServers": {"s": {"command": "x", "env": {"SLACK_BOT_TOKEN": "xoxb-1234-5678-abcdefgh"}}}}
    out = _scan(tmp_path, "mcp.json", json.dumps(doc))
    assert _rules(out, "s") == {"AIP-MCP-001"}
    assert "xoxb-1234-5678-abcdefgh" not in out.findings[0].evidence


def test_jsonc_comments_and_trailing_commas(tmp_path):
    text = (
        '{\n  // servers\n  "servers": {\n    "a": {"command": "a", "args": ["http://x//y", "/* no */"],},\n'
        '    /* block */\n    "b": {"url": "https://b.example.com/mcp",\n'
        '          "headers": {"Authorization": "${input:b}"}},\n'
        "  },\n}\n"
    )
    out = _scan(tmp_path, ".vscode/mcp.json", text)
    servers = _servers(out)
    assert set(servers) == {"a", "b"} and servers["a"].properties["args"] == ["http://x//y", "/* no */"]
    assert json.loads(strip_jsonc('{"a": [1, 2,],}')) == {"a": [1, 2]}


@pytest.mark.parametrize(
    ("rel", "text"),
    [
        ("mcp.json", '{"mcpServers": {'),
        (".continue/config.yaml", "mcpServers: [\n"),
        ("mcp.json", '{"mcpServers": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("agents.yaml", "tools: " + "[" * 300_000),
    ],
)
def test_malformed(tmp_path, rel, text):
    with pytest.raises(MalformedInput):
        _scan(tmp_path, rel, text)


def test_binary_and_empty(tmp_path):
    out = _scan(tmp_path, "mcp.json", b"\x00\x01\x02mcpServers")
    assert out.assets == [] and len(out.skipped) == 1
    assert _scan(tmp_path, "x/mcp.json", "{}").assets == []
    assert _scan(tmp_path, "y/mcp.json", '{"mcpServers": {"bad": "string"}}').assets == []


@pytest.mark.parametrize(
    ("rel", "kind"),
    [
        ("a/mcp.json", "mcp"),
        (".vscode/mcp.json", "mcp"),
        ("claude_desktop_config.json", "mcp"),
        ("x/.continue/mcpServers/db.yaml", "mcp"),
        ("crew/config/agents.yaml", "agent"),
        ("bots/support.agent.yaml", "agent"),
        ("assistants/billing.assistant.json", "agent"),
        ("package.json", None),
        ("src/settings.json", None),
        ("values.yaml", None),
    ],
)
def test_routing_by_name(rel, kind):
    assert classify(rel, rel.rsplit("/", 1)[-1]) == kind


# --- agent definitions ---------------------------------------------------------------------
CREW_AGENTS = """\
researcher:
  role: >
    Senior data researcher
  goal: Uncover developments
  backstory: You find facts.
  tools: [SerperDevTool, ScrapeWebsiteTool]
  llm: azure/gpt-4o
operator:
  role: Site reliability operator
  goal: Keep services up
  backstory: You fix things.
  tools: [ShellTool, FileWriterTool]
mailer:
  role: Customer mailer
  goal: Send updates
  backstory: You write.
  tools: [GmailSendTool]
"""
CREW_TASKS = """\
send_update:
  description: Send the weekly update
  expected_output: A sent mail
  agent: mailer
  human_input: true
"""


def test_crewai_agents_with_task_approval(tmp_path):
    (tmp_path / "crew").mkdir()
    (tmp_path / "crew" / "tasks.yaml").write_text(CREW_TASKS)
    out = _scan(tmp_path, "crew/agents.yaml", CREW_AGENTS)
    agents = {a.name: a for a in out.assets if a.kind == "agent"}
    assert set(agents) == {"researcher", "operator", "mailer"}
    assert agents["researcher"].properties["model"] == "azure/gpt-4o"
    model = next(a for a in out.assets if a.kind == "model")
    assert (model.name, model.provider) == ("gpt-4o", "azure")
    assert agents["researcher"].properties["depends_on"] == [model.id]
    assert agents["operator"].properties["high_risk_tools"] == ["FileWriterTool", "ShellTool"]
    assert agents["mailer"].properties["human_approval"] is True
    assert [(f.rule, f.location.line) for f in out.findings] == [("AIP-AGENT-001", 8)]
    assert "ShellTool (shell)" in out.findings[0].evidence


@pytest.mark.parametrize(
    ("rel", "text", "framework", "tools", "flagged"),
    [
        (
            "sk/writer.agent.yaml",
            "type: chat_completion_agent\nname: Writer\ninstructions: write\nmodel:\n  id: gpt-4o\n"
            "tools:\n  - id: Mail.SendEmail\n    type: function\n  - type: file_search\n",
            "semantic-kernel",
            ["Mail.SendEmail", "file_search"],
            True,
        ),
        (
            "foundry/triage.agent.yaml",
            "kind: Prompt\nname: triage\nmodel:\n  id: gpt-4.1\ninstructions: triage\ntools:\n"
            "  - type: code_interpreter\n  - type: mcp\n    server_label: jira\n    server_url: https://jira.example.com/mcp\n"
            "    require_approval: always\n",
            "azure-ai-foundry",
            ["code_interpreter", "jira"],
            False,
        ),
        (
            "oai/billing.assistant.json",
            json.dumps(
                {
                    "object": "assistant",
                    "name": "Billing",
                    "model": "gpt-4o",
                    "instructions": "help",
                    "tools": [{"type": "function", "function": {"name": "create_payment"}}],
                }
            ),
            "openai-assistants",
            ["create_payment"],
            True,
        ),
        (
            "autogen/team.json",
            json.dumps(
                {
                    "provider": "autogen_agentchat.teams.RoundRobinGroupChat",
                    "component_type": "team",
                    "config": {
                        "participants": [
                            {
                                "provider": "autogen_agentchat.agents.AssistantAgent",
                                "component_type": "agent",
                                "config": {
                                    "name": "coder",
                                    "model_client": {"config": {"model": "gpt-4o-mini"}},
                                    "tools": [
                                        {
                                            "provider": "autogen_core.tools.FunctionTool",
                                            "config": {"name": "run_python"},
                                        }
                                    ],
                                },
                            }
                        ]
                    },
                }
            ),
            "autogen",
            ["run_python"],
            True,
        ),
        (
            "bots/faq.agent.yaml",
            "name: faq\ninstructions: answer\nmodel: gpt-4o-mini\ntools: [search_docs]\n",
            "generic",
            ["search_docs"],
            False,
        ),
    ],
)
def test_agent_definitions(tmp_path, rel, text, framework, tools, flagged):
    out = _scan(tmp_path, rel, text)
    agents = [a for a in out.assets if a.kind == "agent"]
    assert len(agents) == 1
    props = agents[0].properties
    assert props["framework"] == framework and props["tools"] == tools
    assert bool(out.findings) is flagged


def test_google_adk_agent_config(tmp_path):
    text = ("agent_class: LlmAgent\nname: ops_agent\nmodel: gemini-2.5-flash\ninstruction: fix things\n"
            "tools:\n  - name: google_search\n  - name: my_tools.run_shell\n    require_confirmation: true\n")
    out = _scan(tmp_path, "adk/root_agent.yaml", text)
    agent = next(a for a in out.assets if a.kind == "agent")
    assert agent.properties["framework"] == "google-adk"
    assert agent.properties["high_risk_tools"] == ["my_tools.run_shell"]
    assert agent.properties["human_approval"] is True and out.findings == []


def test_langgraph_deployment_config(tmp_path):
    doc = {"dependencies": ["."], "graphs": {"support": "./src/support/graph.py:graph",
                                             "triage": "./src/triage.py:app"}, "env": ".env"}
    out = _scan(tmp_path, "svc/langgraph.json", json.dumps(doc, indent=2))
    agents = {a.name: a for a in out.assets}
    assert set(agents) == {"support", "triage"}
    assert agents["support"].properties["framework"] == "langgraph"
    assert agents["support"].properties["entrypoint"] == "./src/support/graph.py:graph"
    assert agents["triage"].locations[0].line == 7


def test_agents_yaml_that_is_not_an_agent_file(tmp_path):
    out = _scan(tmp_path, "ci/agents.yaml", "pool: ubuntu\nsteps:\n  - script: make test\n")
    assert out.assets == [] and out.findings == []


@pytest.mark.parametrize("url", ["http://[::1", "https://exa mple.com:99999/x", "://", "https://u:p@[bad/mcp"])
def test_odd_urls_do_not_crash(tmp_path, url):
    out = _scan(tmp_path, "mcp.json", json.dumps({"mcpServers": {"s": {"url": url}}}))
    assert [a.name for a in out.assets] == ["s"]


def _agent_fuzz_cases():
    import os
    import random

    from structure_fuzz import mutate

    bases = [
        ("mcp.json", {"mcpServers": {
            "a": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/"],
                  "env": {"TOKEN": "abcdefgh12345678"}},
            "b": {"type": "http", "url": "http://mcp.example.com/sse?key=1",
                  "headers": {"Authorization": "x"}},
            "c": {"command": {"path": "zs", "args": ["--stdio"]}, "transport": {"type": "stdio"}}}}),
        (".vscode/mcp.json", {"servers": {"d": {"command": "docker", "args": ["run", "-v", "/:/h", "i"]}}}),
        ("crew/agents.yaml", {"ops": {"role": "r", "goal": "g", "tools": ["ShellTool"], "llm": "azure/x"}}),
        ("team.json", {"component_type": "agent",
                       "config": {"name": "c", "tools": [{"config": {"name": "x"}}],
                                  "model_client": {"config": {"model": "m"}}}}),
        ("a.agent.json", {"object": "assistant", "name": "n", "model": "gpt-4o",
                          "tools": [{"type": "function", "function": {"name": "send_email"}},
                                    {"type": "mcp", "require_approval": {"always": {}}}]}),
    ]
    rng = random.Random(7)
    n = int(os.environ.get("AIP_FUZZ_N", "40"))
    return [pytest.param(rel, json.dumps(mutate(doc, rng)), id=f"{rel}-{i}")
            for rel, doc in bases for i in range(n)]


@pytest.mark.parametrize(("rel", "text"), _agent_fuzz_cases())
def test_type_confusion_never_crashes(tmp_path, rel, text):
    try:
        _scan(tmp_path, rel, text)
    except MalformedInput:
        pass


def test_settings_without_mcp_are_not_parsed(tmp_path):
    out = _scan(tmp_path, ".vscode/settings.json", '{"editor.tabSize": 2, // junk that does not parse\n')
    assert out.assets == [] and out.findings == []
