"""Which format a file is, from its first bytes — never from its name alone
(a pickle renamed `.bin` or `.txt` is still a pickle: CVE-2025-1889, CVE-2025-10155).
Names only break ties between formats without a magic number (protobuf)."""

from __future__ import annotations

import io
import struct

from aiposture.discover.models.pickle_scan import (
    PICKLE_MARKERS,
    PickleLimits,
    PickleMachine,
    looks_like_pickle_start,
)
from aiposture.discover.models.stream import ByteReader

HEAD_SIZE = 1 << 16
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_COMPRESSED = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x04\x22\x4d\x18", "lz4"),
    (b"\x5d\x00\x00", "lzma"),
)
# Suffixes that name a model file (used by `is_model_file` and for "unrecognised"
# verdicts); detection itself never relies on them.
MODEL_SUFFIXES = frozenset(
    {
        ".pkl",
        ".pickle",
        ".pt",
        ".pth",
        ".bin",
        ".ckpt",
        ".joblib",
        ".dill",
        ".dat",
        ".data",
        ".npy",
        ".npz",
        ".keras",
        ".h5",
        ".hdf5",
        ".pb",
        ".onnx",
        ".gguf",
        ".ggml",
        ".safetensors",
        ".tflite",
        ".mar",
        ".model",
        ".sav",
        ".msgpack",
        ".zip",
        ".tar",
        ".pdparams",
        ".nemo",
    }
)
PROTOBUF_NAMES = ("saved_model.pb", "keras_metadata.pb")


def detect_format(head: bytes, name: str, size: int) -> str | None:
    """The format name, or None when nothing matches."""
    lower = name.lower()
    if not head:
        return None
    if head[:4] in ZIP_MAGICS:
        return "zip"
    if head[:6] == b"\x93NUMPY":
        return "numpy"
    if head[:4] == b"GGUF":
        return "gguf"
    for offset in (0, 512, 1024, 2048):
        if head[offset : offset + 8] == HDF5_MAGIC:
            return "hdf5"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    if _is_safetensors(head, size):
        return "safetensors"
    if head[4:8] == b"TFL3":
        return "tflite"
    for magic, fmt in _COMPRESSED:
        if head.startswith(magic):
            return fmt
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    if looks_like_pickle(head, size):
        return "pickle"
    if lower.endswith(PROTOBUF_NAMES) or (lower.endswith(".pb") and head[:3] == b"\x08\x01\x12"):
        return "savedmodel"
    if _is_onnx(head, lower):
        return "onnx"
    return None


def _is_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 10:
        return False
    (n,) = struct.unpack_from("<Q", head)
    return 2 <= n <= size - 8 and head[8:9] == b"{" and head[9:10] in (b'"', b"}", b" ", b"\n")


def _is_onnx(head: bytes, lower: str) -> bool:
    # ModelProto starts with ir_version (field 1, varint), then usually producer_name,
    # opset_import or graph.
    if len(head) < 3 or head[0] != 0x08 or not (1 <= head[1] <= 20):
        return False
    return lower.endswith(".onnx") or head[2] in (0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A, 0x42)


def looks_like_pickle(head: bytes, size: int) -> bool:
    """A trial parse of the head: a pickle reaches STOP, or runs on without error to the
    end of the head having seen a few opcodes. Random bytes fail within a few."""
    if not looks_like_pickle_start(head[:2]):
        return False
    if head[:2] not in PICKLE_MARKERS and head[:1] == b"\x80":
        return False
    machine = PickleMachine(ByteReader(io.BytesIO(head)), limits=PickleLimits(max_depth=0), exact=True)
    result = machine.scan_stream(first_only=True)
    malformed = [ev for ev in result.events if ev.kind == "malformed"]
    if not malformed:
        return True
    truncated = all("truncated" in ev.detail for ev in malformed)
    seen_global = any(ev.kind == "global" for ev in result.events)
    enough = (result.ops or machine.ops) >= 8 or head[:2] in PICKLE_MARKERS
    return truncated and (seen_global or enough)
