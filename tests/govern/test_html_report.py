"""The HTML report escapes everything scanned: names, paths and evidence an attacker
controls end up as text, never as markup, in tables and in the SVG graph alike."""

from __future__ import annotations

from govern_estates import asset, finding, scan

from aiposture.govern.evidence import Evidence
from aiposture.govern.html_report import render_html
from aiposture.govern.posture import assess_posture
from aiposture.govern.svg import graph, trend

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_hostile_names_are_escaped_everywhere():
    estate = scan(
        [
            asset("endpoint", HOSTILE, "app/deploy.yaml", public=True),
            asset("agent", f"agent{HOSTILE}", "app/agent.py", tools=[f"send_email{HOSTILE}"]),
            asset("dataset", HOSTILE, f"app/{HOSTILE}.csv", sensitivity="pii"),
        ],
        [finding("AIP-SECRET-001", f"app/{HOSTILE}.env", "critical", evidence=HOSTILE)],
    )
    report = assess_posture(estate, Evidence())
    assert report.attack_paths  # the hostile labels reach the graph
    html = render_html(report, estate)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_trend_needs_two_points_and_draws_a_line():
    assert "<polyline" not in trend([("a", 50.0)])
    assert "<polyline" in trend([("a", 50.0), ("b", 70.0)])


def test_graph_layout_puts_entries_left_of_jewels():
    view = {
        "nodes": [
            {"id": "internet", "label": "internet", "entry": "internet"},
            {"id": "app", "label": "app"},
            {"id": "tool", "label": "tool: shell", "jewel": "privileged-tool"},
        ],
        "edges": [{"source": "internet", "target": "app"}, {"source": "app", "target": "tool"}],
    }
    svg = graph(view)
    xs = {}
    for node_id in ("internet", "app", "tool"):
        chunk = svg.split(f'data-id="{node_id}"><rect x="', 1)[1]
        xs[node_id] = float(chunk.split('"', 1)[0])
    assert xs["internet"] < xs["app"] < xs["tool"]
    assert graph({"nodes": [], "edges": []}).startswith("<p")
