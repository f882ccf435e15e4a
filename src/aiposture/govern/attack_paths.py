"""Attack paths: from an entry point to a crown jewel through the estate graph.

For every entry node (internet, untrusted input, committed credential) one
breadth-first search, cut off at `max_hops`, gives the shortest path to each
reachable crown jewel (sensitive data, privileged tool, production credential).
One path per (entry, jewel) pair keeps the output readable and the work bounded
(entries x (V + E)); the total is capped at `max_paths`, worst first. Each path
becomes a finding of the rule data/govern/attack_paths.yaml names for its
(entry class, jewel class), one severity level lower when it is longer than
`long_path_hops` (more must go wrong for it to be used).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from aiposture.govern.attack_graph import build_graph
from aiposture.govern.knowledge import knowledge
from aiposture.model import Finding, Location, ScanResult, Severity

_LOWER = {
    Severity.CRITICAL: Severity.HIGH,
    Severity.HIGH: Severity.MEDIUM,
    Severity.MEDIUM: Severity.LOW,
    Severity.LOW: Severity.LOW,
    Severity.INFO: Severity.INFO,
}


@dataclass(frozen=True)
class AttackPath:
    rule: str
    title: str
    severity: Severity
    entry: str  # entry class
    jewel: str  # crown-jewel class
    nodes: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def hops(self) -> int:
        return len(self.nodes) - 1

    def describe(self) -> str:
        return " -> ".join(self.labels)


@dataclass
class AttackAnalysis:
    graph: nx.DiGraph
    paths: list[AttackPath]
    truncated: bool = False

    def path_subgraph(self) -> nx.DiGraph:
        """Only the nodes and edges on some path: what the report draws."""
        keep = {n for p in self.paths for n in p.nodes}
        edges = {(p.nodes[i], p.nodes[i + 1]) for p in self.paths for i in range(len(p.nodes) - 1)}
        sub = nx.DiGraph()
        for node in sorted(keep):
            sub.add_node(node, **self.graph.nodes[node])
        for u, v in sorted(edges):
            sub.add_edge(u, v, **self.graph.edges[u, v])
        return sub


def find_paths(graph: nx.DiGraph) -> tuple[list[AttackPath], bool]:
    kb = knowledge()
    entries = sorted(n for n, d in graph.nodes(data=True) if d.get("entry"))
    jewels = {n: d["jewel"] for n, d in graph.nodes(data=True) if d.get("jewel")}
    found: list[AttackPath] = []
    for entry in entries:
        entry_class = graph.nodes[entry]["entry"]
        reach = nx.single_source_shortest_path(graph, entry, cutoff=kb.max_hops)
        for jewel in sorted(set(reach) & set(jewels)):
            if jewel == entry:
                continue
            rule = kb.rule_for(entry_class, jewels[jewel])
            if rule is None:
                continue
            nodes = tuple(reach[jewel])
            severity = rule.severity if len(nodes) - 1 <= kb.long_path_hops else _LOWER[rule.severity]
            labels = tuple(str(graph.nodes[n].get("label", n)) for n in nodes)
            found.append(
                AttackPath(
                    rule=rule.id,
                    title=rule.title,
                    severity=severity,
                    entry=entry_class,
                    jewel=jewels[jewel],
                    nodes=nodes,
                    labels=labels,
                )
            )
    found.sort(key=lambda p: (-p.severity.rank, p.hops, p.rule, p.nodes))
    truncated = len(found) > kb.max_paths
    return found[: kb.max_paths], truncated


def path_findings(paths: list[AttackPath], graph: nx.DiGraph) -> list[Finding]:
    kb = knowledge()
    rules = {r.id: r for r in kb.rules}
    out = []
    for path in paths:
        rule = rules[path.rule]
        jewel_asset = graph.nodes[path.nodes[-1]].get("asset")
        location = _first_location(path, graph)
        out.append(
            Finding.make(
                path.rule,
                location,
                asset=jewel_asset,
                discriminator="|".join(path.nodes),
                title=rule.title,
                severity=path.severity,
                evidence=f"{path.describe()} ({path.hops} hops)",
                remediation=rule.remediation,
                frameworks=rule.frameworks,
            )
        )
    return out


def _first_location(path: AttackPath, graph: nx.DiGraph) -> Location | None:
    for node in path.nodes:
        loc = graph.nodes[node].get("location")
        if loc:
            return Location(path=loc)
    return None


def analyse(result: ScanResult) -> AttackAnalysis:
    graph = build_graph(result)
    _attach_locations(graph, result)
    paths, truncated = find_paths(graph)
    return AttackAnalysis(graph=graph, paths=paths, truncated=truncated)


def _attach_locations(graph: nx.DiGraph, result: ScanResult) -> None:
    by_id = {a.id: a for a in result.assets}
    findings = {f.id: f for f in result.findings}
    for _node, data in graph.nodes(data=True):
        asset = by_id.get(data.get("asset", ""))
        if asset is not None and asset.locations:
            data["location"] = asset.locations[0].path
        finding = findings.get(data.get("finding", ""))
        if finding is not None and finding.location is not None:
            data["location"] = finding.location.path
