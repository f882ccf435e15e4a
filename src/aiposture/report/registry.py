"""Writers by format name: the one place a command looks a format up."""

from __future__ import annotations

from aiposture.report.base import Writer
from aiposture.report.cyclonedx import CycloneDxWriter
from aiposture.report.json_writer import JsonWriter
from aiposture.report.sarif import SarifWriter
from aiposture.report.table import TableWriter

WRITERS: dict[str, type] = {
    "table": TableWriter,
    "json": JsonWriter,
    "sarif": SarifWriter,
    "cyclonedx": CycloneDxWriter,
}


def get_writer(name: str, **options) -> Writer:
    try:
        cls = WRITERS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; choose from {', '.join(WRITERS)}") from None
    return cls(**options) if options else cls()
