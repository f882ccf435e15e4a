"""Agent definitions written as data: CrewAI `agents.yaml` (+ `tasks.yaml`),
Semantic Kernel declarative agents, Azure AI Foundry agent YAML, OpenAI Assistants
JSON, AutoGen component JSON (agents and teams).

Frameworks disagree on layout but agree on shape: an agent is a mapping with a
name, instructions or a role, a model, and a list of tools. So instead of one
parser per framework, a bounded walk looks for mappings of that shape, names the
framework by its marker keys, reads tool names from the usual places, and checks
for any human-approval setting. An agent holding a high-risk tool (shell, code
execution, email, payments, file writes) without approval is a finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from aiposture.discover import safe_yaml
from aiposture.discover.agent_knowledge import AgentKnowledge, knowledge
from aiposture.discover.base import LineIndex, ScanOutput, SourceFile
from aiposture.discover.rules import make_finding
from aiposture.model import Asset

MAX_NODES = 20_000
MAX_DEPTH = 30
_LITELLM_PROVIDERS = frozenset({"openai", "azure", "azure_ai", "anthropic", "bedrock", "vertex_ai", "gemini",
                                "ollama", "groq", "mistral", "cohere", "huggingface", "watsonx", "deepseek"})
_FOUNDRY_KINDS = frozenset({"prompt", "promptagent", "hosted", "workflow"})
_SK_TYPES = frozenset({"chat_completion_agent", "azure_ai_agent", "foundry_agent", "openai_assistant",
                       "openai_responses", "azureai_agent", "copilot_studio_agent"})


def _framework(node: dict[str, Any], crew: bool) -> str | None:
    """Which framework's agent this mapping is, or None if it is not an agent."""
    if crew:
        return "crewai"
    if node.get("object") == "assistant":
        return "openai-assistants"
    if node.get("component_type") == "agent":
        return "autogen"
    if isinstance(node.get("agent_class"), str):  # Google ADK agent config
        return "google-adk"
    if isinstance(node.get("type"), str) and node["type"].lower() in _SK_TYPES:
        return "semantic-kernel"
    if str(node.get("kind", "")).lower() in _FOUNDRY_KINDS and "model" in node:
        return "azure-ai-foundry"
    has_tools = isinstance(node.get("tools"), list)
    if has_tools and any(k in node for k in ("instructions", "system_message", "role", "model", "llm")):
        return "generic"
    return None


def _crew_agents(doc: Any) -> bool:
    """CrewAI: a top-level mapping of agent keys to {role, goal, backstory}."""
    return isinstance(doc, dict) and any(
        isinstance(v, dict) and "role" in v and "goal" in v for v in doc.values())


def _walk(doc: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(key it was found under, mapping) for every mapping, breadth-bounded."""
    stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
    seen = 0
    while stack and seen < MAX_NODES:
        node, key, depth = stack.pop()
        seen += 1
        if depth > MAX_DEPTH:
            continue
        if isinstance(node, dict):
            yield key, node
            stack.extend((v, str(k), depth + 1) for k, v in node.items() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, key, depth + 1) for v in node if isinstance(v, dict | list))


def tool_name(tool: Any) -> str | None:
    if isinstance(tool, str):
        return tool
    if not isinstance(tool, dict):
        return None
    func = tool.get("function")
    if isinstance(func, dict) and isinstance(func.get("name"), str):
        return func["name"]
    config = tool.get("config")
    for source in (tool, config if isinstance(config, dict) else {}):
        for key in ("name", "id", "server_label", "tool_name"):
            if isinstance(source.get(key), str):
                return source[key]
    if isinstance(tool.get("provider"), str):
        return tool["provider"].rsplit(".", 1)[-1]
    return tool.get("type") if isinstance(tool.get("type"), str) else None


def _tools(node: dict[str, Any], framework: str) -> list[Any]:
    holder = node.get("config") if framework == "autogen" and isinstance(node.get("config"), dict) else node
    tools = holder.get("tools") if isinstance(holder.get("tools"), list) else []
    extra: list[Any] = []
    if node.get("allow_code_execution") is True:  # CrewAI flag that adds a code tool
        extra.append("code_execution")
    return [*tools, *extra]


def _approval(node: Any, know: AgentKnowledge, depth: int = 0) -> bool:
    """Is any human-approval setting on (truthy, or 'always'), anywhere under the agent?"""
    if depth > 8:
        return False
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).lower() in know.approval_keys and _approved(value):
                return True
            if isinstance(value, dict | list) and _approval(value, know, depth + 1):
                return True
    elif isinstance(node, list):
        return any(_approval(v, know, depth + 1) for v in node[:200])
    return False


def _approved(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() in ("always", "true", "required", "yes", "on")
    if isinstance(value, dict):
        return "always" in value  # OpenAI MCP tool: require_approval: {always: {...}}
    return False


def _model(node: dict[str, Any]) -> str | None:
    for value in (node.get("model"), node.get("llm"), (node.get("config") or {}).get("model_client")
                  if isinstance(node.get("config"), dict) else None):
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            inner = value.get("config") if isinstance(value.get("config"), dict) else value
            for key in ("id", "model", "name", "deployment"):
                if isinstance(inner.get(key), str):
                    return inner[key]
    return None


def _crew_task_approvals(source: SourceFile) -> set[str]:
    """Agents whose CrewAI tasks (sibling `tasks.yaml`) ask for human input."""
    path = source.path.parent / "tasks.yaml"
    try:
        if not path.is_file() or path.stat().st_size > 1024 * 1024:
            return set()
        doc = safe_yaml.load_one(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return set()
    if not isinstance(doc, dict):
        return set()
    return {str(t.get("agent")) for t in doc.values() if isinstance(t, dict) and t.get("human_input") is True}


def _langgraph(source: SourceFile, text: str, doc: dict[str, Any], out: ScanOutput) -> None:
    """`langgraph.json`: each deployed graph is an agent; its tools live in code."""
    index = LineIndex(text)
    for name, entry in doc["graphs"].items():
        pos = _find(text, str(name))
        loc = source.loc(index.line(pos) if pos >= 0 else None)
        props = {"framework": "langgraph", "entrypoint": str(entry)[:300] if isinstance(entry, str) else None,
                 "tools": [], "high_risk_tools": [], "human_approval": None, "model": None, "depends_on": []}
        out.asset(Asset.make("agent", str(name), f"{source.rel}#{name}", locations=[loc], properties=props))


def scan_definitions(source: SourceFile, text: str, doc: Any, out: ScanOutput) -> None:
    graphs = doc.get("graphs") if isinstance(doc, dict) else None
    if source.name.lower() == "langgraph.json" and isinstance(graphs, dict):
        _langgraph(source, text, doc, out)
        return
    know = knowledge()
    crew = _crew_agents(doc)
    approved_by_task = _crew_task_approvals(source) if crew else set()
    index = LineIndex(text)
    candidates = ((str(k), v) for k, v in doc.items() if isinstance(v, dict)) if crew else _walk(doc)
    for key, node in candidates:
        framework = _framework(node, crew)
        if framework is None:
            continue
        _emit(source, text, index, out, know, _name(node, key, source), key, node, framework,
              key in approved_by_task)


def _name(node: dict[str, Any], key: str, source: SourceFile) -> str:
    config = node.get("config") if isinstance(node.get("config"), dict) else {}
    for value in (node.get("name"), config.get("name"), key, source.name):
        if isinstance(value, str) and value:
            return value
    return source.name


def _emit(source: SourceFile, text: str, index: LineIndex, out: ScanOutput, know: AgentKnowledge,
          name: str, key: str, node: dict[str, Any], framework: str, task_approval: bool) -> None:
    tools = [t for t in (tool_name(t) for t in _tools(node, framework)) if t]
    risky = {t: cat for t in tools if (cat := know.tool_risk(t))}
    approval = task_approval or _approval(node, know)
    pos = _find(text, key if framework == "crewai" else name)
    loc = source.loc(index.line(pos) if pos >= 0 else None)
    model = _model(node)
    props = {"framework": framework, "tools": tools[:200], "high_risk_tools": sorted(risky),
             "human_approval": approval, "model": model, "depends_on": []}
    if model:
        model_asset = _model_asset(model, loc)
        out.asset(model_asset)
        props["depends_on"] = [model_asset.id]
    asset = Asset.make("agent", name, f"{source.rel}#{name}", locations=[loc], properties=props)
    if risky and not approval:
        listed = ", ".join(f"{t} ({c})" for t, c in sorted(risky.items()))
        evidence = f"agent {name!r} ({framework}) can use {listed} with no human approval"
        out.finding(make_finding("AIP-AGENT-001", loc, asset=asset.id, evidence=evidence))
    out.asset(asset)


def _model_asset(model: str, loc: Any) -> Asset:
    """The agent's model as a `model` asset (scope "" so it merges with the same model
    found in code). LiteLLM-style `provider/model` ids (CrewAI `llm:`) are split."""
    provider, _, rest = model.partition("/")
    if rest and provider.lower() in _LITELLM_PROVIDERS:
        return Asset.make("model", rest, "", provider=provider.lower(), locations=[loc],
                          properties={"provider": provider.lower(), "declared_in": "agent"})
    return Asset.make("model", model, "", locations=[loc], properties={"declared_in": "agent"})


def _find(text: str, needle: str) -> int:
    for probe in (f"{needle}:", f'"{needle}"', needle):
        pos = text.find(probe)
        if pos >= 0:
            return pos
    return -1

