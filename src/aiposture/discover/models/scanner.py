"""The model-file scan: detect the format of a file (or archive member) from its
bytes, hand it to that format's reader, and assemble the report. Readers are listed
in one explicit table, `READERS`."""

from __future__ import annotations

import hashlib
import io
import posixpath
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from aiposture.discover.models import archive, keras
from aiposture.discover.models.detect import HEAD_SIZE, MODEL_SUFFIXES, detect_format, looks_like_pickle
from aiposture.discover.models.gguf import scan_gguf
from aiposture.discover.models.numpy_format import scan_npy
from aiposture.discover.models.pickle_format import scan_pickle_reader
from aiposture.discover.models.results import Blob, ModelFileReport, ScanContext, ScanOptions, member_where
from aiposture.discover.models.safetensors_format import scan_safetensors
from aiposture.discover.models.stream import CHUNK, ByteReader
from aiposture.discover.models.tf_onnx import scan_onnx, scan_savedmodel

Reader = Callable[[ScanContext, Blob, ByteReader, str], None]
_PICKLE_NAMES = (".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".joblib", ".dill")
_SCAN_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    struct.error,
    MemoryError,
    RecursionError,
    archive.Bomb,
    zipfile.BadZipFile,
    NotImplementedError,
)


def _read_pickle(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
    def reopen() -> ByteReader:
        return ByteReader(blob.open())

    reread = scan_pickle_reader(ctx, reader, where=where, reopen=reopen, embedded=_scan_embedded_archive)
    if reread:
        ctx.rehash = True


def _scan_embedded_archive(ctx: ScanContext, blob: Blob) -> None:
    scan_blob(ctx, blob, blob.name)


def _read_zip(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
    archive.scan_zip(ctx, blob, reader, where, scan_blob)


def _read_tar(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
    archive.scan_tar(ctx, blob, reader, where, scan_blob)


def _read_compressed(fmt: str) -> Reader:
    def read(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
        if blob.depth >= ctx.options.archive.max_depth:
            ctx.issue(
                "AIP-MODEL-011",
                f"compressed streams nested deeper than {ctx.options.archive.max_depth}",
                where=where,
            )
            return
        inner_where = member_where(where, f"{fmt} content")
        try:
            first = archive.open_decompressed(ctx, blob, fmt)
        except ValueError as exc:
            ctx.fail(str(exc))
            ctx.issue("AIP-MODEL-021", str(exc), where=where)
            return
        opened = [first]

        def open_inner() -> BinaryIO:
            return opened.pop() if opened else archive.open_decompressed(ctx, blob, fmt)

        inner = Blob(
            name=f"{blob.name}.{fmt}-content",
            size=ctx.options.archive.max_total,
            open=open_inner,
            depth=blob.depth + 1,
        )
        try:
            found = scan_blob(ctx, inner, inner_where)
        except archive.Bomb as exc:
            ctx.issue("AIP-MODEL-011", str(exc), where=inner_where)
            return
        if found is None:
            ctx.issue("AIP-MODEL-021", "compressed content is not a recognised model format", where=inner_where)

    return read


def _read_tar_stream(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
    archive.scan_tar(ctx, blob, reader, where, scan_blob, fileobj=_ReaderIO(reader))


def _read_nothing(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
    return None


READERS: dict[str, Reader] = {
    "pickle": _read_pickle,
    "zip": _read_zip,
    "tar": _read_tar,
    "numpy": scan_npy,
    "safetensors": scan_safetensors,
    "gguf": scan_gguf,
    "hdf5": keras.scan_hdf5,
    "savedmodel": scan_savedmodel,
    "onnx": scan_onnx,
    "tflite": _read_nothing,
    **{fmt: _read_compressed(fmt) for fmt in ("gzip", "bzip2", "xz", "lzma", "zlib", "lz4")},
}


class _ReaderIO(io.RawIOBase):
    """A ByteReader seen as a file (for tarfile's stream mode)."""

    def __init__(self, reader: ByteReader) -> None:
        super().__init__()
        self._r = reader

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._r.read(size if size is not None and size >= 0 else CHUNK)


def scan_blob(ctx: ScanContext, blob: Blob, where: str, reader: ByteReader | None = None) -> str | None:
    """Scan a file or member; returns the detected format or None."""
    if reader is None:  # an archive member: read its head only, unless its reader wants more
        reader = ByteReader(blob.open(), chunk=HEAD_SIZE)
    head = reader.peek(HEAD_SIZE)
    fmt = detect_format(head, blob.name, blob.size)
    if blob.depth == 1:
        ctx.members.append(f"{blob.name}:{fmt}")
    if fmt is None:
        _unrecognised_member(ctx, blob, reader, where)
        return None
    ctx.formats.append(fmt)
    if fmt == "tar" and blob.path is None and blob.depth > 0:
        fmt_reader: Reader = _read_tar_stream
    else:
        fmt_reader = READERS[fmt]
    fmt_reader(ctx, blob, reader, where)
    if fmt == "pickle" and ctx.trailing_data and blob.path is not None and zipfile.is_zipfile(blob.path):
        ctx.issue("AIP-MODEL-026", "the file is both a pickle and a zip archive; both were scanned", where=where)
        ctx.formats.append("zip")
        archive.scan_zip(ctx, blob, None, where, scan_blob)
    return fmt


def _unrecognised_member(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
    if blob.depth == 0:
        return
    base = posixpath.basename(blob.name).lower()
    if base.endswith(".json"):
        if keras.scan_keras_json(ctx, blob, reader, where):
            ctx.formats.append("keras-config")
        return
    if base.endswith(_PICKLE_NAMES) or base == "data.pkl":
        ctx.issue("AIP-MODEL-021", "member named as a model is in no recognised format", where=where)


def _refine_format(ctx: ScanContext, path: Path) -> str:
    if not ctx.formats:
        return "unknown"
    first = ctx.formats[0]
    suffix = path.suffix.lower()
    if first == "zip":
        if "keras-config" in ctx.formats:
            return "keras"
        if any(name.endswith("data.pkl:pickle") for name in ctx.members):
            return "pytorch"
        if ctx.formats[1:] and set(ctx.formats[1:]) == {"numpy"}:
            return "npz"
        return "zip"
    if first == "pickle":
        return {
            ".joblib": "joblib",
            ".pt": "pytorch",
            ".pth": "pytorch",
            ".bin": "pytorch",
            ".ckpt": "pytorch",
        }.get(suffix, "pickle")
    if first == "tar" and "pickle" in ctx.formats and suffix in (".pt", ".pth", ".bin", ".ckpt"):
        return "pytorch-legacy"
    if first in ("gzip", "bzip2", "xz", "lzma", "zlib", "lz4") and len(ctx.formats) > 1:
        inner = ctx.formats[1]
        return "joblib" if suffix == ".joblib" else f"{first}+{inner}"
    return first


class _Files:
    """Opens the scanned file again when a reader needs random access; closes all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handles: list[BinaryIO] = []

    def open(self) -> BinaryIO:
        fh = self.path.open("rb")
        self.handles.append(fh)
        return fh

    def close(self) -> None:
        for fh in self.handles:
            fh.close()


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK * 4):
            digest.update(chunk)
    return digest.hexdigest()


def scan_path(path: Path, options: ScanOptions) -> ModelFileReport:
    """Scan one file; never raises for a bad file (the verdict says `error`)."""
    ctx = ScanContext(options)
    try:
        st = path.stat()
    except OSError as exc:
        return _error_report(path, f"cannot read: {exc.strerror or exc}", options)
    if not path.is_file():
        return _error_report(path, "not a regular file", options)
    size = st.st_size
    hasher = hashlib.sha256() if options.hash else None
    files = _Files(path)
    sha: str | None = None
    try:
        reader = ByteReader(files.open(), hasher=hasher)
        if size == 0:
            ctx.fail("empty file")
            ctx.issue("AIP-MODEL-021", "empty file")
        else:
            blob = Blob(name=path.name, size=size, open=files.open, path=path)
            _scan_guarded(ctx, blob, reader)
        if hasher is not None:
            if ctx.rehash:
                sha = hash_file(path)
            else:
                reader.drain()
                sha = hasher.hexdigest()
    except OSError as exc:
        ctx.fail(f"read error: {exc.strerror or exc}")
        ctx.issue("AIP-MODEL-021", f"read error: {exc.strerror or exc}")
    finally:
        files.close()
    return ModelFileReport(
        path=str(path),
        format=_refine_format(ctx, path),
        sha256=sha,
        size=size,
        verdict=ctx.verdict(),
        issues=ctx.issues,
        error=ctx.error,
    )


def _scan_guarded(ctx: ScanContext, blob: Blob, reader: ByteReader) -> None:
    try:
        fmt = scan_blob(ctx, blob, "", reader)
    except _SCAN_ERRORS as exc:
        ctx.fail(f"{type(exc).__name__}: {exc}")
        ctx.issue("AIP-MODEL-006", f"scan stopped: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - hostile input must not stop a scan of many files
        ctx.fail(f"scanner fault on this file ({type(exc).__name__}: {exc})")
        ctx.issue("AIP-MODEL-006", f"scan stopped by a scanner fault: {type(exc).__name__}")
        return
    if fmt is None:
        reason = (
            "not a recognised model format"
            if blob.path is None or blob.path.suffix.lower() in MODEL_SUFFIXES
            else "not a model file"
        )
        ctx.fail(reason)
        ctx.issue("AIP-MODEL-021", reason)


def _error_report(path: Path, reason: str, options: ScanOptions) -> ModelFileReport:
    ctx = ScanContext(options)
    ctx.fail(reason)
    ctx.issue("AIP-MODEL-021", reason)
    return ModelFileReport(
        path=str(path), format="unknown", size=0, verdict=ctx.verdict(), issues=ctx.issues, error=reason
    )


def is_model_file(path: Path) -> bool:
    """Named as a model, or starting with the magic of a model-only format."""
    path = Path(path)
    if path.suffix.lower() in MODEL_SUFFIXES:
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_SIZE)
        size = path.stat().st_size
    except OSError:
        return False
    if head[:4] == b"GGUF" or head[:6] == b"\x93NUMPY":
        return True
    fmt = detect_format(head, path.name, size)
    return fmt in ("safetensors", "onnx") or (fmt == "pickle" and looks_like_pickle(head, size))
