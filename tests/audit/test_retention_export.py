"""Retention keeps the rest verifiable; exports and search."""

from __future__ import annotations

import json

import pytest

from aiposture.audit.export import render, to_cef, to_ocsf
from aiposture.audit.query import EventFilter


def _aged(records, day: str):
    for r in records:
        r["time"] = f"{day}T10:00:00.000000Z"
    return records


def test_purge_keeps_chain_verifiable(trail, make_records):
    trail.append(_aged(make_records(60), "2020-01-01"))
    trail.append(make_records(40, 60))
    result = trail.purge(days=30)
    assert result["purged"] == 60 and result["anchor_seq"] == 60
    report = trail.verify()
    assert report.ok, report.issues
    assert (report.events, report.first_seq, report.anchor_seq) == (40, 61, 60)
    trail.append(make_records(5, 100))  # writing goes on after a purge
    assert trail.verify().ok
    assert trail.purge(days=30)["purged"] == 0


def test_purge_everything_then_verify(trail, make_records):
    trail.append(_aged(make_records(10), "2020-01-01"))
    assert trail.purge(days=1)["purged"] == 10
    report = trail.verify()
    assert report.ok and report.events == 0


def test_deleting_after_anchor_is_still_detected(trail, make_records):
    from sqlalchemy import text

    trail.append(_aged(make_records(10), "2020-01-01"))
    trail.append(make_records(10, 10))
    trail.purge(days=1)
    with trail.db.store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 11"))
    issue = trail.verify().issues[0]
    assert (issue["seq"], issue["kind"]) == (11, "deleted")


def test_negative_days_refused(trail):
    from aiposture.errors import InputError

    with pytest.raises(InputError):
        trail.purge(days=-1)


@pytest.mark.parametrize(
    "flt, expected",
    [
        (EventFilter(principal="svc-1"), 7),
        (EventFilter(app="support-bot"), 7),
        (EventFilter(model="claude-3-haiku"), 10),
        (EventFilter(detector="injection"), 3),
        (EventFilter(detector="INSTRUCTION_OVERRIDE"), 3),
        (EventFilter(detector="inj"), 0),
        (EventFilter(action="block"), 3),
        (EventFilter(since="2000-01-01T00:00:00.000000Z", until="2100-01-01T00:00:00.000000Z"), 20),
        (EventFilter(until="2000-01-01T00:00:00.000000Z"), 0),
        (EventFilter(limit=4), 4),
    ],
)
def test_search(trail, flt, expected, make_records):
    trail.append(make_records(20))
    assert len(list(trail.events(flt))) == expected


def test_export_formats(trail, make_records):
    trail.append(make_records(3))
    events = list(trail.events())
    lines = list(render(events, "jsonl"))
    assert [json.loads(x)["seq"] for x in lines] == [1, 2, 3]
    assert all(json.loads(x)["hash"] for x in lines)
    ocsf = to_ocsf(events[0])
    assert ocsf["class_uid"] == 6003 and ocsf["type_uid"] == 600399
    assert ocsf["metadata"]["profiles"] == ["ai_operation"]
    assert ocsf["disposition"] == "Blocked" and ocsf["ai_model"]["name"] == "claude-3-haiku"
    cef = to_cef(events[0])
    assert cef.startswith("CEF:0|aiposture|gateway|") and "act=block" in cef and "cn1=1" in cef


@pytest.mark.parametrize(
    "value, expected",
    [
        ("a=b", "a\\=b"),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines", "two\\nlines"),
    ],
)
def test_cef_escapes_extension_values(value, expected):
    event = {"seq": 1, "time": "2026-01-01T00:00:00.000000Z", "principal": value, "verdict": {}}
    assert f"suser={expected}" in to_cef(event)


def test_cef_escapes_header_pipes():
    event = {"seq": 1, "time": "2026-01-01T00:00:00.000000Z", "verdict": {"action": "bl|ock"}}
    assert "aiposture-bl\\|ock" in to_cef(event)


def test_unknown_format():
    with pytest.raises(ValueError):
        list(render([{}], "xml"))
