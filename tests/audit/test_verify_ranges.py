"""Verifying in parallel seq ranges names exactly what one pass names, for tampering
at, just before and just after the range boundaries (100 events, 3 ranges: 1-34,
35-68, 69-100), including the breaks whose meaning depends on the event before."""

from __future__ import annotations

import pytest
from tampering import event_row, rehash_event, run_sql  # tests/audit is on sys.path

from aiposture.audit.chain import chain_hash
from aiposture.audit.verify import verify_chain
from aiposture.audit.verify_ranges import _bounds

_exec, _row = run_sql, event_row


def modify(trail, s):
    _exec(trail, "UPDATE audit_events SET body = replace(body, 'request', 'REQUEST') WHERE seq = :s", s=s)


def rehash(trail, s):
    rehash_event(trail, s, "request", "REQUEST")


def rehash_two(trail, s):  # two re-hashed events in a row: consecutive link breaks
    rehash(trail, s - 1)
    rehash(trail, s)


def delete(trail, s):
    _exec(trail, "DELETE FROM audit_events WHERE seq = :s", s=s)


def insert(trail, s):
    _exec(trail, "UPDATE audit_events SET seq = seq + 1000 WHERE seq >= :s", s=s)
    _exec(trail, "UPDATE audit_events SET seq = seq - 999 WHERE seq >= :t", t=s + 1000)
    prev = _row(trail, s - 1)["hash"]
    body = '{"app":"x"}'
    _exec(
        trail,
        "INSERT INTO audit_events (seq, time, detectors, body, hash_prev, hash) "
        "VALUES (:s, '2026-01-01T00:00:00.000000Z', '', :b, :p, :h)",
        s=s,
        b=body,
        p=prev,
        h=chain_hash(prev, body),
    )


def swap(trail, s):
    _exec(trail, "UPDATE audit_events SET seq = -1 WHERE seq = :s", s=s)
    _exec(trail, "UPDATE audit_events SET seq = :s WHERE seq = :t", s=s, t=s + 1)
    _exec(trail, "UPDATE audit_events SET seq = :t WHERE seq = -1", t=s + 1)


def bad_hash(trail, s):
    _exec(trail, "UPDATE audit_events SET hash = 'not-hex' WHERE seq = :s", s=s)


def truncate(trail, s):
    _exec(trail, "DELETE FROM audit_events WHERE seq >= :s", s=s)


TAMPERS = [modify, rehash, rehash_two, delete, insert, swap, bad_hash]


def test_ranges_of_a_hundred_events():
    class Reader:
        def max_seq(self):
            return 100

    assert _bounds(Reader(), 0, 3, 0) == [(0, 34), (34, 68), (68, None)]
    assert _bounds(Reader(), 0, 3, 1000) == [(0, None)]  # too short to share
    assert _bounds(Reader(), 0, 1, 0) == [(0, None)]


@pytest.mark.parametrize("seq", [2, 33, 34, 35, 36, 68, 69, 99])
@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda f: f.__name__)
def test_parallel_names_what_one_pass_names(trail, make_records, tamper, seq):
    for start in range(0, 100, 25):
        trail.append(make_records(25, start))
    assert verify_chain(trail.db, trail.signer, chunk=7, workers=3, parallel_from=0).ok
    tamper(trail, seq)
    single = verify_chain(trail.db, trail.signer, chunk=7, workers=1)
    parallel = verify_chain(trail.db, trail.signer, chunk=7, workers=3, parallel_from=0)
    assert not single.ok and not parallel.ok
    assert parallel.issues == single.issues
    assert (parallel.events, parallel.first_seq, parallel.last_seq) == (
        single.events,
        single.first_seq,
        single.last_seq,
    )


@pytest.mark.parametrize("seq", [34, 35, 69, 100])
def test_truncation_across_ranges(trail, make_records, seq):
    trail.append(make_records(100))
    truncate(trail, seq)
    single = verify_chain(trail.db, trail.signer, workers=1)
    parallel = verify_chain(trail.db, trail.signer, workers=3, parallel_from=0)
    assert (
        parallel.issues
        == single.issues
        == [{"seq": seq, "kind": "truncated", "detail": f"events {seq}..100 are missing at the end"}]
    )


def test_clean_chain_in_ranges_after_a_purge(trail, make_records):
    trail.append(make_records(60))
    _exec(trail, "UPDATE audit_events SET time = '2000-01-01T00:00:00.000000Z' WHERE seq <= 20")
    trail.purge(days=1)
    trail.append(make_records(60, 60))
    report = verify_chain(trail.db, trail.signer, chunk=5, workers=4, parallel_from=0)
    assert report.ok, report.issues
    assert (report.anchor_seq, report.first_seq, report.last_seq, report.events) == (20, 21, 120, 100)
