"""Targets: the AI applications the red team attacks (one module per protocol)."""
