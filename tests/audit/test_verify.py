"""The chain detects each kind of tampering and names the seq where it happened."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text
from tampering import event_row, rehash_event, run_sql  # tests/audit is on sys.path

from aiposture.audit.chain import chain_hash

_exec, _row = run_sql, event_row


def modify(trail):
    _exec(
        trail,
        "UPDATE audit_events SET body = replace(body, 'request number 20', 'request number 99') "
        "WHERE seq = 21",
    )
    return 21, "modified"


def modify_and_rehash(trail):
    rehash_event(trail, 21, "svc-2", "svc-0")
    return 21, "modified"


def delete(trail):
    _exec(trail, "DELETE FROM audit_events WHERE seq = 30")
    return 30, "deleted"


def delete_range(trail):
    _exec(trail, "DELETE FROM audit_events WHERE seq BETWEEN 10 AND 12")
    return 10, "deleted"


def insert(trail):
    # shift 25.. up by one and forge a well-hashed event at 25 that links to 24
    _exec(trail, "UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 25")
    _exec(trail, "UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1025")
    prev = _row(trail, 24)["hash"]
    body = '{"app":"x","seq":25}'
    _exec(
        trail,
        "INSERT INTO audit_events (seq, time, detectors, body, hash_prev, hash) "
        "VALUES (25, '2026-01-01T00:00:00.000000Z', '', :b, :p, :h)",
        b=body,
        p=prev,
        h=chain_hash(prev, body),
    )
    return 25, "inserted"


def reorder(trail):
    _exec(trail, "UPDATE audit_events SET seq = -1 WHERE seq = 40")
    _exec(trail, "UPDATE audit_events SET seq = 40 WHERE seq = 41")
    _exec(trail, "UPDATE audit_events SET seq = 41 WHERE seq = -1")
    return 40, "reordered"


def truncate(trail):
    _exec(trail, "DELETE FROM audit_events WHERE seq > 95")
    return 96, "truncated"


def append_outside(trail):
    last = _row(trail, 100)
    body = '{"seq":101}'
    _exec(
        trail,
        "INSERT INTO audit_events (seq, time, detectors, body, hash_prev, hash) "
        "VALUES (101, '2026-01-01T00:00:00.000000Z', '', :b, :p, :h)",
        b=body,
        p=last["hash"],
        h=chain_hash(last["hash"], body),
    )
    return 101, "unsealed"


def forge_head(trail):
    _exec(trail, "UPDATE audit_seals SET seq = 90 WHERE kind = 'head'")
    return 90, "bad-signature"


@pytest.mark.parametrize(
    "tamper",
    [modify, modify_and_rehash, delete, delete_range, insert, reorder, truncate, append_outside, forge_head],
)
def test_verify_detects_tampering(trail, tamper, make_records):
    trail.append(make_records(100))
    assert trail.verify().ok
    seq, kind = tamper(trail)
    report = trail.verify()
    assert not report.ok
    first = report.issues[0]
    assert (first["seq"], first["kind"]) == (seq, kind), report.issues


def test_clean_chain_over_many_batches_and_checkpoints(trail, make_records):
    trail.settings.checkpoint_every = 50
    for start in range(0, 500, 25):
        trail.append(make_records(25, start))
    report = trail.verify(chunk=64)
    assert report.ok, report.issues
    assert (report.events, report.first_seq, report.last_seq) == (500, 1, 500)
    assert report.checkpoints >= 9


def test_checkpoint_contradiction_is_reported(trail, make_records):
    trail.settings.checkpoint_every = 10
    for start in range(0, 50, 10):
        trail.append(make_records(10, start))
    # rewrite the whole chain from seq 15 on consistently: only the checkpoints and head can tell
    with trail.db.store.engine.begin() as conn:
        rows = conn.execute(
            text("SELECT seq, body, hash_prev FROM audit_events WHERE seq >= 15 ORDER BY seq")
        ).all()
        prev = rows[0][2]
        for seq, body, _ in rows:
            body = body.replace("request number", "REQUEST")
            digest = chain_hash(prev, body)
            conn.execute(
                text("UPDATE audit_events SET body=:b, hash_prev=:p, hash=:h WHERE seq=:s"),
                {"b": body, "p": prev, "h": digest, "s": seq},
            )
            prev = digest
    kinds = {i["kind"] for i in trail.verify().issues}
    assert "checkpoint-mismatch" in kinds


def test_wrong_key_fails_every_seal(trail, tmp_path, make_records):
    from aiposture.audit.signing import Signer

    trail.append(make_records(5))
    trail.signer = Signer.load_or_create(tmp_path / "other.key")
    kinds = {i["kind"] for i in trail.verify().issues}
    assert kinds == {"bad-signature"}


def test_hash_is_sha256_of_prev_and_canonical_body(trail, make_records):
    trail.append(make_records(2))
    row = _row(trail, 2)
    assert row["hash"] == hashlib.sha256((row["hash_prev"] + row["body"]).encode()).hexdigest()
    assert row["hash_prev"] == _row(trail, 1)["hash"]
    assert ", " not in row["body"] and '": ' not in row["body"]


def test_writer_futures_resolve_in_order(trail, make_records):
    futures = [trail.writer.submit(r) for r in make_records(300)]
    seqs = [f.result(10) for f in futures]
    assert seqs == list(range(1, 301))
    assert trail.verify().ok


def test_writer_reports_store_failure(trail, make_records):
    _exec(trail, "DROP TABLE audit_events")
    future = trail.writer.submit(make_records(1)[0])
    with pytest.raises(Exception, match="audit write failed"):
        future.result(10)


def test_appended_events_without_a_time_get_one_in_the_body_and_the_column(trail):
    """Commands append records without a time (approvals, elevations): search, export
    and retention read the time from the event, so it must be set and hashed."""
    trail.append([{"principal": "ops-bot", "direction": "approval", "verdict": {"action": "allow"}}])
    (event,) = list(trail.events())
    assert event["time"] and event["time"].endswith("Z")
    with trail.db.engine.connect() as conn:
        column = conn.exec_driver_sql("SELECT time FROM audit_events").scalar()
    assert column == event["time"]
    assert trail.verify().ok
