"""Inline SVG charts for the self-contained HTML report: a score gauge, bars, a trend
line and the attack-path graph.

Written by hand because the report must work with no network and no JavaScript, and
no small, well-kept Python library draws static SVG charts without pulling in a
plotting stack (matplotlib) several times the size of aiposture. Every string that
reaches the SVG goes through `esc` (the template's autoescape does not see it).
The graph layout is layered: a node's column is its longest distance from an entry
point along the attack paths, rows are filled in sorted order — deterministic and
readable for the small path subgraphs a report draws.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

SEVERITY_COLOURS = {
    "critical": "#8b0000",
    "high": "#d9480f",
    "medium": "#e8a400",
    "low": "#2f7ed8",
    "info": "#6c757d",
}
STATUS_COLOURS = {
    "pass": "#2b8a3e",
    "fail": "#c92a2a",
    "partial": "#e8a400",
    "not_assessed": "#adb5bd",
    "manual": "#dee2e6",
}


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def score_colour(score: float) -> str:
    return "#2b8a3e" if score >= 80 else "#e8a400" if score >= 50 else "#c92a2a"


def gauge(score: float, size: int = 160) -> str:
    """A ring filled to `score` percent with the number in the middle."""
    r = size / 2 - 12
    c = 2 * math.pi * r
    filled = c * max(0.0, min(score, 100.0)) / 100.0
    mid = size / 2
    return (
        f'<svg class="gauge" width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="posture score {score:.1f}">'
        f'<circle cx="{mid}" cy="{mid}" r="{r:.1f}" fill="none" stroke="#e9ecef" stroke-width="14"/>'
        f'<circle cx="{mid}" cy="{mid}" r="{r:.1f}" fill="none" stroke="{score_colour(score)}" '
        f'stroke-width="14" stroke-dasharray="{filled:.1f} {c:.1f}" transform="rotate(-90 {mid} {mid})"/>'
        f'<text x="{mid}" y="{mid + 10}" text-anchor="middle" font-size="32" font-weight="700">'
        f"{score:.1f}</text></svg>"
    )


def hbars(items: list[tuple[str, float, str]], width: int = 420, bar_h: int = 22) -> str:
    """Horizontal bars: (label, value, colour); scaled to the largest value."""
    if not items:
        return '<p class="muted">none</p>'
    top = max(v for _, v, _ in items) or 1.0
    label_w = 150
    height = len(items) * (bar_h + 6) + 4
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">']
    for i, (label, value, colour) in enumerate(items):
        y = i * (bar_h + 6) + 2
        w = (width - label_w - 60) * value / top
        parts.append(
            f'<text x="0" y="{y + bar_h - 6}" font-size="13">{esc(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}" rx="3"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h - 6}" font-size="13">{esc(_num(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar(counts: dict[str, int], order: list[str], width: int = 300, height: int = 16) -> str:
    total = sum(counts.get(k, 0) for k in order) or 1
    x = 0.0
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">']
    for key in order:
        n = counts.get(key, 0)
        if not n:
            continue
        w = width * n / total
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" '
            f'fill="{STATUS_COLOURS.get(key, "#ccc")}"><title>{esc(key)}: {n}</title></rect>'
        )
        x += w
    parts.append("</svg>")
    return "".join(parts)


def trend(points: list[tuple[str, float]], width: int = 420, height: int = 120) -> str:
    """Score over runs (oldest first) on a 0-100 axis."""
    if len(points) < 2:
        return '<p class="muted">The trend appears after the second assessment of this target.</p>'
    pad = 24
    step = (width - 2 * pad) / (len(points) - 1)
    coords = [
        (pad + i * step, height - pad - (height - 2 * pad) * s / 100.0) for i, (_, s) in enumerate(points)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#1c7ed6"><title>{esc(label)}: '
        f"{s:.1f}</title></circle>"
        for (x, y), (label, s) in zip(coords, points, strict=True)
    )
    axis = (
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#ced4da"/>'
        f'<text x="2" y="{pad}" font-size="11">100</text>'
        f'<text x="8" y="{height - pad}" font-size="11">0</text>'
    )
    return (
        f'<svg class="trend" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
        f'{axis}<polyline points="{line}" fill="none" stroke="#1c7ed6" stroke-width="2"/>{dots}</svg>'
    )


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _layers(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, int]:
    """Longest distance from an entry (bounded relaxation; cycles cannot loop forever)."""
    layer = {n["id"]: 0 for n in nodes}
    entries = {n["id"] for n in nodes if n.get("entry") and not n.get("jewel")}
    for _ in range(len(nodes)):
        changed = False
        for e in edges:
            s, t = e["source"], e["target"]
            if t in entries:
                continue
            if layer[s] + 1 > layer[t] and layer[s] + 1 < len(nodes):
                layer[t] = layer[s] + 1
                changed = True
        if not changed:
            break
    return layer


def _node_colour(node: dict[str, Any]) -> str:
    if node.get("entry") and not node.get("jewel"):
        return "#ffe3e3"
    if node.get("jewel"):
        return "#fff3bf"
    return "#e7f5ff"


def graph(view: dict[str, list[dict[str, Any]]], col_w: int = 210, row_h: int = 56) -> str:
    """The attack-path subgraph, drawn in layered columns with arrows."""
    nodes, edges = view.get("nodes", []), view.get("edges", [])
    if not nodes:
        return '<p class="muted">No attack paths found.</p>'
    layer = _layers(nodes, edges)
    columns: dict[int, list[dict[str, Any]]] = {}
    for node in sorted(nodes, key=lambda n: (layer[n["id"]], n["label"], n["id"])):
        columns.setdefault(layer[node["id"]], []).append(node)
    pos: dict[str, tuple[float, float]] = {}
    for col, members in columns.items():
        for row, node in enumerate(members):
            pos[node["id"]] = (10 + col * col_w, 10 + row * row_h)
    box_w, box_h = col_w - 40, 36
    width = 20 + (max(columns) + 1) * col_w
    height = 20 + max(len(m) for m in columns.values()) * row_h
    parts = [
        f'<svg class="graph" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="attack paths"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#495057"/></marker></defs>'
    ]
    for e in edges:
        (x1, y1), (x2, y2) = pos[e["source"]], pos[e["target"]]
        parts.append(
            f'<line x1="{x1 + box_w:.1f}" y1="{y1 + box_h / 2:.1f}" x2="{x2:.1f}" y2="{y2 + box_h / 2:.1f}" '
            f'stroke="#495057" stroke-width="1.3" marker-end="url(#arrow)">'
            f"<title>{esc(e.get('relation', ''))}</title></line>"
        )
    for node in nodes:
        x, y = pos[node["id"]]
        label = str(node["label"])
        short = label if len(label) <= 26 else label[:25] + "…"
        stroke = "#c92a2a" if node.get("jewel") else "#495057"
        parts.append(
            f'<g class="node" data-id="{esc(node["id"])}"><rect x="{x}" y="{y}" width="{box_w}" '
            f'height="{box_h}" rx="6" fill="{_node_colour(node)}" stroke="{stroke}"/>'
            f'<text x="{x + 8}" y="{y + 23}" font-size="12">{esc(short)}</text>'
            f"<title>{esc(label)}</title></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
