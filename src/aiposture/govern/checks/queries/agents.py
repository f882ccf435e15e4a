"""Queries over agents and MCP servers and the tools they hold."""

from __future__ import annotations

from aiposture.govern.checks.model import Outcome, Status
from aiposture.govern.evidence import PostureContext
from aiposture.govern.knowledge import is_privileged_tool, tool_name, tool_requires_approval


def approval_configured(ctx: PostureContext) -> Outcome:
    """Every privileged tool of an agent or MCP server requires human approval, either
    in the tool's own definition or in the gateway policy's approval list."""
    gateway_tools = (
        {t.lower() for t in ctx.evidence.gateway.approval_tools} if ctx.evidence.gateway else set()
    )
    privileged = []
    failing = []
    for asset in ctx.result.assets:
        if asset.kind not in ("agent", "mcp-server"):
            continue
        tools = asset.properties.get("tools") or []
        if not isinstance(tools, list):
            continue
        high_risk = {str(t).lower() for t in asset.properties.get("high_risk_tools") or []}
        approved = asset.properties.get("approval") is True or asset.properties.get("human_approval") is True
        for tool in tools:
            name = tool_name(tool)
            if not (is_privileged_tool(tool) or name.lower() in high_risk):
                continue
            privileged.append(name)
            if not (tool_requires_approval(tool) or name.lower() in gateway_tools or approved):
                failing.append(f"{asset.name}: {name}")
    if not privileged:
        return Outcome(
            status=Status.NOT_ASSESSED, why="no privileged agent or MCP tools in scope", applicable=False
        )
    if failing:
        return Outcome(
            status=Status.FAIL,
            subjects=len(privileged),
            failing=sorted(failing),
            why=f"{len(failing)} of {len(privileged)} privileged tool(s) run without human approval",
        )
    return Outcome(
        status=Status.PASS,
        subjects=len(privileged),
        why=f"all {len(privileged)} privileged tool(s) require approval",
    )
