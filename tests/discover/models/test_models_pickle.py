"""The pickle opcode reader beyond the corpus: the fast path agrees with the exact
reader, limits turn into verdicts, legacy multi-pickle files, memo windows."""

from __future__ import annotations

import io
import pickle
import struct
from collections import OrderedDict

import numpy as np
import pytest
from model_corpus import P4, evil_object, sglob, state_dict_pickle, u

from aiposture.discover.models import ScanOptions, scan_file
from aiposture.discover.models.pickle_scan import PickleLimits, PickleMachine, scan_pickle_stream
from aiposture.discover.models.stream import ByteReader


def _events(data: bytes, exact: bool) -> list[tuple]:
    if exact:
        result = PickleMachine(ByteReader(io.BytesIO(data)), exact=True).scan_stream()
    else:
        result, _ = scan_pickle_stream(
            ByteReader(io.BytesIO(data)), reopen=lambda: ByteReader(io.BytesIO(data))
        )
    return sorted((e.kind, e.module, e.name, e.depth) for e in result.events)


PAYLOADS = {
    "ints": pickle.dumps(list(range(5000)), protocol=4),
    "strings": pickle.dumps([f"s{i}" for i in range(5000)], protocol=4),
    "mixed_p2": pickle.dumps([(i, float(i), f"s{i}", {"k": i}) for i in range(2000)], protocol=2),
    "mixed_evil": pickle.dumps(
        [list(range(300)), evil_object(), OrderedDict(a=list(range(300)))], protocol=4
    ),
    "numpy": pickle.dumps({"a": np.arange(1000), "b": np.ones((30, 30))}, protocol=5),
    "state_dict": state_dict_pickle(),
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_fast_path_sees_what_the_exact_reader_sees(name: str) -> None:
    data = PAYLOADS[name]
    assert _events(data, exact=False) == _events(data, exact=True)


def test_operand_from_a_skipped_run_forces_an_exact_rescan() -> None:
    data = P4 + u("os") + b"\x94" + u("system") + b"\x94" + b"]\x94(" + b"K\x01" * 100 + b"e0h\x00h\x01\x93."
    result, reread = scan_pickle_stream(
        ByteReader(io.BytesIO(data)), reopen=lambda: ByteReader(io.BytesIO(data))
    )
    assert reread
    assert ("os", "system") in {(e.module, e.name) for e in result.events if e.kind == "global"}


def test_without_a_way_to_reread_the_operand_is_flagged() -> None:
    data = P4 + u("os") + b"\x94" + u("system") + b"\x94" + b"]\x94(" + b"K\x01" * 100 + b"e0h\x00h\x01\x93."
    result, _ = scan_pickle_stream(ByteReader(io.BytesIO(data)))
    assert any(e.kind == "limit" for e in result.events)
    assert not result.complete


def test_max_ops_bounds_a_pickle_that_never_ends(tmp_path) -> None:
    path = tmp_path / "endless.pkl"
    path.write_bytes(P4 + b"(" + b"N\x85" * 100_000)
    report = scan_file(path, options=ScanOptions(pickle=PickleLimits(max_ops=1000)))
    assert report.verdict == "suspicious"
    assert "AIP-MODEL-007" in {i.rule for i in report.issues}


def test_nested_depth_is_bounded(tmp_path) -> None:
    data = pickle.dumps(evil_object(), protocol=4)
    for _ in range(6):
        data = pickle.dumps({"inner": data}, protocol=4)
    path = tmp_path / "deep.pkl"
    path.write_bytes(data)
    report = scan_file(path, options=ScanOptions(pickle=PickleLimits(max_depth=3)))
    assert "AIP-MODEL-007" in {i.rule for i in report.issues}
    deep = scan_file(path, options=ScanOptions(pickle=PickleLimits(max_depth=8)))
    assert deep.verdict == "unsafe"


def test_legacy_torch_file_with_raw_storage_after_its_pickles(tmp_path) -> None:
    """torch < 1.6: magic, protocol, sys_info, the model, storage keys, then raw data."""
    parts = [
        pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2),
        pickle.dumps(1001, protocol=2),
        pickle.dumps({"little_endian": True}, protocol=2),
        state_dict_pickle(),
        pickle.dumps(["0"], protocol=2),
    ]
    raw = struct.pack("<q", 640) + b"\x00" * 2560
    path = tmp_path / "legacy.bin"
    path.write_bytes(b"".join(parts) + raw)
    report = scan_file(path)
    assert report.verdict == "safe", report.issues


def test_memo_window_keeps_what_a_late_global_needs(tmp_path) -> None:
    """A module name memoised early and fetched after more memo entries than the window."""
    items = b"".join(u(f"v{i}") + b"\x94" for i in range(3000))
    data = (
        P4
        + sglob("collections", "OrderedDict")
        + b"\x94"
        + b"]\x94("
        + items
        + b"e0"
        + b"\x94".join([b""])
        + b"j"
        + struct.pack("<I", 0)
        + b")R."
    )
    path = tmp_path / "window.pkl"
    path.write_bytes(data)
    report = scan_file(path, options=ScanOptions(pickle=PickleLimits(memo_window=100)))
    assert report.verdict == "safe", report.issues


def test_globals_are_counted_not_repeated(tmp_path) -> None:
    path = tmp_path / "many.pkl"
    path.write_bytes(pickle.dumps([evil_object() for _ in range(50)], protocol=2))
    report = scan_file(path)
    unsafe = [i for i in report.issues if i.rule == "AIP-MODEL-001"]
    assert len(unsafe) == 1
    assert "called" in unsafe[0].detail


@pytest.mark.parametrize("proto", range(6))
def test_every_protocol_of_a_benign_object(tmp_path, proto: int) -> None:
    path = tmp_path / f"p{proto}.pkl"
    path.write_bytes(
        pickle.dumps({"a": [1, 2.5, "x", b"raw", None, True], "s": frozenset({1})}, protocol=proto)
    )
    assert scan_file(path).verdict == "safe"


def _load_from_bytes_pickle(payload: bytes) -> bytes:
    """How plain pickle.dumps of torch tensors looks: storages as zip bytes."""
    from model_corpus import glob, sb

    return P4 + glob("torch.storage", "_load_from_bytes") + sb(payload) + b"\x85R."


def test_zip_inside_pickle_bytes_is_scanned(tmp_path) -> None:
    from model_corpus import torch_zip

    evil = torch_zip({"archive/data.pkl": pickle.dumps(evil_object(), protocol=2)})
    path = tmp_path / "embedded.pkl"
    path.write_bytes(_load_from_bytes_pickle(evil))
    rules = {i.rule for i in scan_file(path).issues}
    assert {"AIP-MODEL-001", "AIP-MODEL-008"} <= rules
    assert "AIP-MODEL-026" not in rules


def test_benign_storage_bytes_are_not_a_polyglot(tmp_path) -> None:
    from model_corpus import torch_zip

    benign = torch_zip({"archive/data.pkl": state_dict_pickle(), "archive/data/0": b"\x00" * 64})
    path = tmp_path / "tensor.pkl"
    path.write_bytes(_load_from_bytes_pickle(benign))
    report = scan_file(path)
    assert report.verdict == "safe", report.issues
