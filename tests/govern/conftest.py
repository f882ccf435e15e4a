"""Fixtures for govern tests."""

from __future__ import annotations

import pytest
from govern_estates import support_estate as _support_estate

from aiposture.model import ScanResult


@pytest.fixture
def support_estate() -> ScanResult:
    return _support_estate()
