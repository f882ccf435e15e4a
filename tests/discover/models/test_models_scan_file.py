"""`scan_file` on bad input and big files, `is_model_file`, findings for discovery."""

from __future__ import annotations

import json
import os
import pickle
import struct

import pytest
from model_corpus import P4, evil_object, safetensors_bytes, sglob, u

from aiposture.discover.models import ScanOptions, is_model_file, report_to_findings, scan_file
from aiposture.discover.models.scanner import hash_file

TEN_GB = 10 << 30


def _sparse(path, head: bytes, size: int) -> None:
    with path.open("wb") as fh:
        fh.write(head)
        fh.truncate(size)


def test_ten_gb_safetensors_reads_only_the_header(tmp_path) -> None:
    header = json.dumps(
        {"w": {"dtype": "U8", "shape": [TEN_GB - 1000], "data_offsets": [0, TEN_GB - 1000]}}
    ).encode()
    path = tmp_path / "huge.safetensors"
    _sparse(path, struct.pack("<Q", len(header)) + header, 8 + len(header) + TEN_GB - 1000)
    report = scan_file(path, options=ScanOptions(hash=False))
    assert report.verdict == "safe", report.issues
    assert report.sha256 is None and report.size > TEN_GB - 2000


def test_ten_gb_pickle_payload_is_skipped_not_held(tmp_path) -> None:
    """A pickle whose BINBYTES8 payload is 10 GB: the reader seeks over it."""
    n = TEN_GB
    head = P4 + sglob("os", "system") + b"\x8e" + struct.pack("<Q", n)
    path = tmp_path / "huge.pkl"
    _sparse(path, head, len(head) + n)
    with path.open("ab") as fh:
        fh.write(b"\x85R.")
    report = scan_file(path, options=ScanOptions(hash=False))
    assert report.verdict == "unsafe"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.safetensors", b""),
        ("random.pt", bytes(range(256)) * 40),
        ("text.pkl", b"just some text, not a pickle\n" * 10),
        ("zeros.bin", b"\x00" * 5000),
        ("short.gguf", b"GGU"),
        ("cut.gguf", b"GGUF\x03\x00\x00\x00"),
        ("cut.safetensors", b"\x10\x00\x00\x00"),
        ("cut.npy", b"\x93NUMPY\x01\x00"),
        ("cut.zip", b"PK\x03\x04" + b"\x00" * 10),
    ],
)
def test_bad_input_gets_a_verdict(tmp_path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    report = scan_file(path)
    assert report.verdict in ("error", "suspicious")
    assert report.issues
    assert report.sha256 == hash_file(path)


def test_missing_and_non_regular_files(tmp_path) -> None:
    assert scan_file(tmp_path / "nope.pt").verdict == "error"
    assert scan_file(tmp_path).verdict == "error"


def test_hash_is_the_file_hash_whatever_the_reader_did(tmp_path) -> None:
    path = tmp_path / "rescanned.pkl"
    path.write_bytes(
        P4
        + u("os")
        + b"\x94"
        + u("system")
        + b"\x94"
        + b"]\x94("
        + b"K\x01" * 100
        + b"e0h\x00h\x01\x93"
        + u("id")
        + b"\x85R."
    )
    report = scan_file(path)
    assert report.verdict == "unsafe"
    assert report.sha256 == hash_file(path)


def test_is_model_file_by_name_or_magic(tmp_path) -> None:
    pkl = tmp_path / "weights.data-00000"
    pkl.write_bytes(pickle.dumps(evil_object(), protocol=4))
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    st = tmp_path / "noext"
    st.write_bytes(safetensors_bytes({}, b""))
    assert is_model_file(tmp_path / "x.safetensors")
    assert is_model_file(pkl)
    assert is_model_file(st)
    assert not is_model_file(txt)


def test_report_to_findings_carries_rule_data(tmp_path) -> None:
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(evil_object()))
    findings = report_to_findings(scan_file(path), "asset-1")
    critical = [f for f in findings if f.rule == "AIP-MODEL-001"]
    assert critical and critical[0].severity.value == "critical"
    assert critical[0].asset == "asset-1"
    assert "LLM03" in critical[0].frameworks["owasp-llm-2025"]
    assert "AML.T0011.000" in critical[0].frameworks["mitre-atlas"]
    assert "posix.system" in critical[0].evidence or "os.system" in critical[0].evidence
    assert len({f.id for f in findings}) == len(findings)


def test_file_permissions_error(tmp_path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    path = tmp_path / "locked.pkl"
    path.write_bytes(b"x")
    path.chmod(0)
    assert scan_file(path).verdict == "error"


@pytest.mark.parametrize("compress", ["gzip", "bz2", "lzma", "zlib"])
def test_truncated_compressed_stream_ends(tmp_path, compress: str) -> None:
    import importlib

    module = importlib.import_module(compress)
    data = module.compress(pickle.dumps(list(range(50_000))))
    path = tmp_path / f"cut.{compress}"
    path.write_bytes(data[: len(data) // 2])
    report = scan_file(path)
    assert report.verdict in ("suspicious", "error")
