"""The append path: two writers on one SQLite file (as two gateway workers are) queue on
the chain's file lock and build one unbroken chain; a failed batch leaves no trace."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from aiposture.audit.trail import AuditTrail
from aiposture.store.database import Store


def test_two_writers_on_one_file_build_one_chain(tmp_path: Path, make_records):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    stores = [Store.open(url), Store.open(url)]
    trails = [AuditTrail(s, tmp_path / "audit.key") for s in stores]
    seqs: list[list[int]] = [[], []]

    def work(k: int) -> None:
        futures = [trails[k].writer.submit(r) for r in make_records(400, start=k * 1000)]
        seqs[k] = [f.result(30) for f in futures]

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seqs[0] + seqs[1]) == list(range(1, 801))
    assert (tmp_path / "audit.db-auditlock").exists()
    report = trails[0].verify()
    assert report.ok and report.events == 800, report.issues
    for trail, store in zip(trails, stores, strict=True):
        trail.close()
        store.close()


def test_failed_batch_rolls_back_and_the_chain_goes_on(trail, make_records):
    trail.append(make_records(5))
    with pytest.raises(Exception):  # noqa: B017 - any driver error
        trail.append([{**make_records(1)[0], "principal": object()}])  # not a type the driver binds
    trail.append(make_records(3))
    report = trail.verify()
    assert report.ok and report.events == 8 and report.last_seq == 8, report.issues
