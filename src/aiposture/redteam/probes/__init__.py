"""Probes: attacks as data (`aiposture/data/redteam/probes/<family>.yaml`) with
small generator classes for the families whose prompts are built, not listed."""
