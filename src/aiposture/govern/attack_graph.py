"""The estate as a graph (networkx DiGraph) for attack-path analysis.

Nodes are apps (see `apps.py`), AI assets, agent tools, committed credentials, and
three kinds of entry point: the internet, untrusted content (web, email, uploads).
Edges say "can reach / can act on", built from what scanners record:

- `properties.public: true` on an asset -> internet -> asset (and a public endpoint
  serves its app: endpoint -> app);
- an app uses the assets found in its folder: app -> model / vector store / agent / ...;
- `properties.depends_on` (asset ids or names) -> asset -> dependency; a vector store
  reaches the datasets of its app unless `depends_on` says which;
- `properties.tools` of an agent or MCP server -> asset -> tool; a privileged tool is
  a crown jewel unless a person must approve its calls (the tool's `approval`, the
  agent's `human_approval`): an agent without that gate is what makes the path;
- `properties.inputs` (web, email, upload), or tools that read such content ->
  input -> the app or agent that reads it;
- a secret finding (AIP-SECRET-*) -> app -> secret (the app holds it) and secret ->
  the asset it unlocks (the finding's asset, else the app's cloud resources and
  endpoints of the same provider, else the app).

Node attributes: `label`, `kind`, and where it applies `entry` (internet,
untrusted-input, leaked-credential) and `jewel` (sensitive-data, privileged-tool,
production-credential). Nodes and edges are added in sorted order, so traversals
(and the paths found) are deterministic.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from aiposture.govern.apps import app_of_finding, apps_of_asset
from aiposture.govern.knowledge import (
    is_privileged_tool,
    is_production,
    is_sensitive,
    knowledge,
    tool_name,
    tool_requires_approval,
    untrusted_inputs_of_tool,
)
from aiposture.model import Asset, Finding, ScanResult

GRAPH_KINDS = (
    "model",
    "endpoint",
    "cloud-resource",
    "vector-store",
    "dataset",
    "agent",
    "mcp-server",
    "saas-app",
)
INTERNET = "internet"
_AGENTS = ("agent", "mcp-server")
_SENSITIVITY_KEYS = ("sensitivity", "classification", "labels", "data_classification")


def _asset_node(asset: Asset) -> str:
    return f"asset:{asset.id}"


def _sensitivity(asset: Asset) -> object:
    for key in _SENSITIVITY_KEYS:
        if asset.properties.get(key):
            return asset.properties[key]
    return None


def _as_list(value: object) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class _Builder:
    def __init__(self, result: ScanResult) -> None:
        self.g = nx.DiGraph()
        self.assets = sorted((a for a in result.assets if a.kind in GRAPH_KINDS), key=lambda a: a.id)
        self.by_id = {a.id: a for a in result.assets}
        self.by_name: dict[str, list[Asset]] = defaultdict(list)
        for a in self.assets:
            self.by_name[a.name.lower()].append(a)
        self.app_assets: dict[str, list[Asset]] = defaultdict(list)
        for a in self.assets:
            for app in sorted(apps_of_asset(a)):
                self.app_assets[app].append(a)
        self.findings = sorted(result.findings, key=lambda f: f.id)

    def build(self) -> nx.DiGraph:
        for app in sorted(self.app_assets):
            self.g.add_node(f"app:{app}", label=app, kind="app")
        for asset in self.assets:
            self._add_asset(asset)
        for asset in self.assets:
            self._link_asset(asset)
        kb = knowledge()
        for finding in self.findings:
            if kb.finding_relation(finding.rule, "credential"):
                self._add_secret(finding)
            node = f"asset:{finding.asset}" if finding.asset else ""
            if node not in self.g:
                continue
            if kb.finding_relation(finding.rule, "exposes"):
                self.g.add_node(INTERNET, label="internet", kind="entry", entry="internet")
                self.g.add_edge(INTERNET, node, relation="exposes")
            if kb.finding_relation(finding.rule, "privileged"):
                cap = f"capability:{finding.id}"
                self.g.add_node(
                    cap, label=f"capability: {finding.title}", kind="tool", jewel="privileged-tool"
                )
                self.g.add_edge(node, cap, relation="grants")
        return self.g

    def _add_asset(self, asset: Asset) -> None:
        attrs: dict[str, object] = {
            "label": f"{asset.kind}: {asset.name}",
            "kind": asset.kind,
            "asset": asset.id,
        }
        label = _sensitivity(asset)
        if asset.kind in ("dataset", "vector-store") and is_sensitive(label):
            attrs["jewel"] = "sensitive-data"
            attrs["label"] = f"{attrs['label']} ({', '.join(map(str, _as_list(label)))})"
        self.g.add_node(_asset_node(asset), **attrs)
        if asset.properties.get("public") is True:
            self.g.add_node(INTERNET, label="internet", kind="entry", entry="internet")
            self.g.add_edge(INTERNET, _asset_node(asset), relation="exposes")

    def _link_asset(self, asset: Asset) -> None:
        node = _asset_node(asset)
        apps = sorted(apps_of_asset(asset))
        for app in apps:
            if asset.kind == "endpoint" and asset.properties.get("public") is True:
                self.g.add_edge(node, f"app:{app}", relation="serves")
            else:
                self.g.add_edge(f"app:{app}", node, relation="uses")
        deps = [d for d in (self._resolve(x) for x in _as_list(asset.properties.get("depends_on"))) if d]
        for dep in sorted(deps, key=lambda a: a.id):
            if dep.id != asset.id:
                self.g.add_edge(node, _asset_node(dep), relation="depends on")
        if asset.kind == "vector-store" and not deps:
            for app in apps:
                for other in self.app_assets[app]:
                    if other.kind == "dataset":
                        self.g.add_edge(node, _asset_node(other), relation="indexes")
        for kind in sorted({str(k).lower() for k in _as_list(asset.properties.get("inputs"))}):
            self._add_input(kind, node if asset.kind in _AGENTS else f"app:{apps[0]}")
        if asset.kind == "mcp-server" and asset.properties.get("remote") is True:
            self._add_input("remote MCP server", f"app:{apps[0]}")
        if asset.kind in _AGENTS:
            self._add_tools(asset, node)

    def _add_tools(self, asset: Asset, node: str) -> None:
        tools = asset.properties.get("tools")
        if not isinstance(tools, list):
            return
        high_risk = {str(t).lower() for t in asset.properties.get("high_risk_tools") or []}
        gated = asset.properties.get("human_approval") is True or asset.properties.get("approval") is True
        for tool in sorted(tools, key=tool_name):
            name = tool_name(tool)
            if not name:
                continue
            tool_node = f"tool:{asset.id}:{name}"
            attrs: dict[str, object] = {"label": f"tool: {name}", "kind": "tool"}
            reads_input = bool(untrusted_inputs_of_tool(tool))
            if is_privileged_tool(tool) or (name.lower() in high_risk and not reads_input):
                if gated or tool_requires_approval(tool):
                    attrs["label"] = f"tool: {name} (human approval)"  # the gate breaks the path
                else:
                    attrs["jewel"] = "privileged-tool"
            self.g.add_node(tool_node, **attrs)
            self.g.add_edge(node, tool_node, relation="can call")
            for kind in untrusted_inputs_of_tool(tool):
                self._add_input(kind, node)

    def _add_input(self, kind: str, target: str) -> None:
        source = f"input:{kind}"
        self.g.add_node(source, label=f"untrusted input: {kind}", kind="entry", entry="untrusted-input")
        self.g.add_edge(source, target, relation="is read by")

    def _resolve(self, ref: object) -> Asset | None:
        if not isinstance(ref, str):
            return None
        if ref in self.by_id and self.by_id[ref].kind in GRAPH_KINDS:
            return self.by_id[ref]
        named = self.by_name.get(ref.lower())
        return named[0] if named else None

    def _add_secret(self, finding: Finding) -> None:
        app = app_of_finding(finding, self.by_id)
        where = str(finding.location) if finding.location else finding.id
        node = f"secret:{finding.id}"
        targets = self._unlocks(finding, app)
        production = is_production(where) or any(self._is_production(t) for t in targets)
        attrs: dict[str, object] = {
            "label": f"credential: {where}",
            "kind": "secret",
            "entry": "leaked-credential",
            "finding": finding.id,
        }
        if production:
            attrs["jewel"] = "production-credential"
        self.g.add_node(node, **attrs)
        app_node = f"app:{app}"
        if app_node not in self.g:
            self.g.add_node(app_node, label=app, kind="app")
        self.g.add_edge(app_node, node, relation="holds")
        for target in targets or [app_node]:
            self.g.add_edge(node, target, relation="unlocks")

    def _unlocks(self, finding: Finding, app: str) -> list[str]:
        if finding.asset and finding.asset in self.by_id and self.by_id[finding.asset].kind in GRAPH_KINDS:
            return [_asset_node(self.by_id[finding.asset])]
        provider = (finding.evidence or "").lower()
        hits = [
            a
            for a in self.app_assets.get(app, [])
            if a.kind in ("cloud-resource", "endpoint") and a.provider and a.provider.lower() in provider
        ]
        return [_asset_node(a) for a in hits]

    def _is_production(self, node: str) -> bool:
        asset = self.by_id.get(node.removeprefix("asset:"))
        if asset is None:
            return False
        env = str(asset.properties.get("environment", "") or asset.properties.get("env", ""))
        return is_production(env) or is_production(asset.name)


def build_graph(result: ScanResult) -> nx.DiGraph:
    """The attack graph of a scan (pure: reads only the result)."""
    return _Builder(result).build()
