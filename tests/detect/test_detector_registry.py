"""The detector registry: every built-in listed by name, loadable ones meet the
contract, a missing module is a clear error and never takes the others down."""

from __future__ import annotations

import pytest

from aiposture.detect import registry
from aiposture.detect.base import TextDetector
from aiposture.detect.registry import DetectorSpec, DetectorUnavailable, create, create_many

PART_A = ["pii", "secrets", "custom", "invisible", "unsafe_output"]


def test_all_names_registered() -> None:
    assert set(PART_A + ["injection", "content"]) <= set(registry.names())


@pytest.mark.parametrize("name", PART_A)
def test_builtin_detectors_meet_the_contract(name: str) -> None:
    det = create(name)
    assert isinstance(det, TextDetector) and det.name == name
    assert det.detect("", "prompt") == []


def test_missing_module_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.BUILTIN_DETECTORS, "ghost", "aiposture.detect.no_such_module:Ghost")
    with pytest.raises(DetectorUnavailable, match="ghost.*not installed"):
        create("ghost")
    built, errors = create_many({"ghost": {}, "secrets": {}})
    assert [d.name for d in built] == ["secrets"] and "ghost" in errors


def test_unknown_name_and_bad_options() -> None:
    with pytest.raises(DetectorUnavailable, match="unknown detector"):
        create("nope")
    with pytest.raises(DetectorUnavailable, match="could not start"):
        create("secrets", colour="blue")


def test_entry_points_are_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    class EP:
        name, value, dist = "thirdparty", "aiposture.detect.pii:PiiDetector", None

    monkeypatch.setattr(registry, "entry_points", lambda group: [EP()] if group == registry.ENTRY_POINT_GROUP
                        else [])
    specs = registry.available()
    assert specs["thirdparty"] == DetectorSpec("thirdparty", EP.value, "entry point")
    assert specs["pii"].source == "builtin"
