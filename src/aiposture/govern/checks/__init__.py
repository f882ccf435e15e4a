"""Posture checks: data under `data/govern/checks/`, evidence queries in `queries/`."""
