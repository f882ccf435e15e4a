"""Strategies: how an attempt talks to the target (one shot, escalation, retries)."""
