"""The `json` format: the ScanResult model as DESIGN.md fixes it
(`{"run", "assets", "findings", "skipped"}`)."""

from __future__ import annotations

from aiposture.model import ScanResult


class JsonWriter:
    name = "json"

    def render(self, result: ScanResult) -> str:
        return result.model_dump_json(indent=2)
