"""Archives and compressed streams of models: zip (PyTorch checkpoints, .keras,
.npz, plain zips), tar (PyTorch's legacy format, tarballs of models), and
gzip/bzip2/xz/lzma/zlib streams (joblib compression, .tar.gz).

Every member is scanned by content, whatever its name. Members are read from the
central directory's offsets with our own bounded decompression, so a bad CRC, odd
flag bits or a local header that disagrees is reported and the member is scanned
anyway (CVE-2025-10156). Zip slip, links, bombs (ratio, total, depth) are findings.
"""

from __future__ import annotations

import bz2
import io
import lzma
import posixpath
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

from aiposture.discover.models.results import Blob, ScanContext, member_where
from aiposture.discover.models.stream import ByteReader

MemberScan = Callable[[ScanContext, Blob, str], None]
CHUNK = 1 << 16
_KNOWN_FLAGS = 0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0800
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")


class Bomb(Exception):
    pass


class BoundedStream(io.RawIOBase):
    """Decompresses `raw` with `decompressor` (or copies it when None), refusing to
    produce more than `max_out` bytes; keeps a CRC-32 of what it produced."""

    def __init__(
        self,
        raw: BinaryIO,
        decompressor: Any,
        max_out: int,
        in_size: int | None = None,
        on_output: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__()
        self._raw = raw
        self._d = decompressor
        self._left_in = in_size
        self._max_out = max_out
        self._pending = b""
        self._eof = False
        self._raw_eof = False
        self.produced = 0
        self.crc = 0
        self._on_output = on_output

    def readable(self) -> bool:
        return True

    def _read_in(self) -> bytes:
        n = CHUNK if self._left_in is None else min(CHUNK, self._left_in)
        if n <= 0:
            return b""
        data = self._raw.read(n)
        if not data:
            self._raw_eof = True
        if self._left_in is not None:
            self._left_in -= len(data)
        return data

    def _more(self) -> bytes:
        d = self._d
        if d is None:
            return self._read_in()
        if getattr(d, "eof", False):
            return b""
        tail = getattr(d, "unconsumed_tail", b"")
        if tail:
            return d.decompress(tail, CHUNK * 4)
        if getattr(d, "needs_input", True) is False:
            return d.decompress(b"", CHUNK * 4)
        data = self._read_in()
        if not data:
            return d.flush() if hasattr(d, "flush") else b""
        return d.decompress(data, CHUNK * 4)

    def read(self, size: int = -1) -> bytes:
        want = size if size is not None and size >= 0 else 1 << 62
        while len(self._pending) < want and not self._eof:
            try:
                out = self._more()
            except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as exc:
                raise OSError(f"corrupt compressed data: {exc}") from None
            if not out:
                if self._d is None or getattr(self._d, "eof", True) or self._left_in == 0 or self._raw_eof:
                    self._eof = True
                continue
            self.produced += len(out)
            if self.produced > self._max_out:
                raise Bomb(f"expands beyond {self._max_out} bytes")
            if self._on_output is not None:
                self._on_output(len(out))
            self.crc = zlib.crc32(out, self.crc)
            self._pending += out
        data, self._pending = self._pending[:want], self._pending[want:]
        return data

    def readinto(self, b: Any) -> int:  # pragma: no cover - io protocol completeness
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


def _escapes(name: str) -> bool:
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return True
    return ".." in posixpath.normpath(norm).split("/") or ".." in norm.split("/")


def _seekable_blob(ctx: ScanContext, blob: Blob, where: str) -> BinaryIO | None:
    fh = blob.open()
    try:
        if fh.seekable():
            return fh
    except (AttributeError, OSError):
        pass
    limit = ctx.options.archive.max_member_in_memory
    if blob.size > limit:
        ctx.issue("AIP-MODEL-007", f"nested archive of {blob.size} bytes not opened (limit {limit})", where=where)
        return None
    data = fh.read(limit + 1)
    if len(data) > limit:
        ctx.issue("AIP-MODEL-007", f"nested archive larger than {limit} bytes not opened", where=where)
        return None
    return io.BytesIO(data)


def _depth_ok(ctx: ScanContext, blob: Blob, where: str) -> bool:
    if blob.depth >= ctx.options.archive.max_depth:
        ctx.issue("AIP-MODEL-011", f"archives nested deeper than {ctx.options.archive.max_depth}", where=where)
        return False
    return True


def _account(ctx: ScanContext, n: int) -> None:
    ctx.expanded += n
    if ctx.expanded > ctx.options.archive.max_total:
        raise Bomb(f"archive expands beyond {ctx.options.archive.max_total} bytes in total")


# --- zip -------------------------------------------------------------------------------


def zip_names(fh: BinaryIO) -> list[str]:
    try:
        with zipfile.ZipFile(fh) as zf:
            return zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return []


def scan_zip(ctx: ScanContext, blob: Blob, reader: ByteReader | None, where: str, scan_member: MemberScan) -> None:
    if not _depth_ok(ctx, blob, where):
        return
    fh = _seekable_blob(ctx, blob, where)
    if fh is None:
        return
    try:
        infos = _zip_infos(ctx, fh, where)
        _check_zip_entries(ctx, infos, where)
        for info in infos:
            _scan_zip_member(ctx, blob, fh, info, where, scan_member)
    except Bomb as exc:
        ctx.issue("AIP-MODEL-011", str(exc), where=where)


def _zip_infos(ctx: ScanContext, fh: BinaryIO, where: str) -> list[zipfile.ZipInfo]:
    try:
        zf = zipfile.ZipFile(fh)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        ctx.issue(
            "AIP-MODEL-012",
            f"central directory unreadable ({exc}); local headers walked instead",
            where=where,
        )
        infos = _walk_local_headers(fh)
    limit = ctx.options.archive.max_entries
    if len(infos) > limit:
        ctx.issue("AIP-MODEL-011", f"{len(infos)} entries, only the first {limit} scanned", where=where)
        infos = infos[:limit]
    return infos


def _walk_local_headers(fh: BinaryIO) -> list[zipfile.ZipInfo]:
    infos: list[zipfile.ZipInfo] = []
    offset = 0
    while True:
        fh.seek(offset)
        header = fh.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
            return infos
        _, _, flags, method, _, _, crc, csize, usize, nlen, elen = _LOCAL_HEADER.unpack(header)
        name = fh.read(nlen).decode("utf-8", "replace")
        info = zipfile.ZipInfo(name)
        info.flag_bits, info.compress_type, info.CRC = flags, method, crc
        info.compress_size, info.file_size, info.header_offset = csize, usize, offset
        infos.append(info)
        if flags & 0x08 and csize == 0:
            return infos  # sizes are in a trailing data descriptor: cannot walk further
        offset += _LOCAL_HEADER.size + nlen + elen + csize


def _check_zip_entries(ctx: ScanContext, infos: list[zipfile.ZipInfo], where: str) -> None:
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if _escapes(name):
            ctx.issue("AIP-MODEL-009", f"member {name!r} escapes the extraction folder", where=where)
        if stat.S_ISLNK(info.external_attr >> 16):
            ctx.issue("AIP-MODEL-010", f"member {name!r} is a symbolic link", where=where)
        if name in seen:
            ctx.issue("AIP-MODEL-012", f"member name {name!r} appears twice", where=where)
        seen.add(name)
        if info.flag_bits & 0x0001:
            ctx.issue("AIP-MODEL-012", f"member {name!r} is encrypted and cannot be scanned", where=where)
        elif info.flag_bits & ~_KNOWN_FLAGS:
            ctx.issue("AIP-MODEL-012", f"member {name!r} has unusual flag bits 0x{info.flag_bits:04x}", where=where)
        ratio = ctx.options.archive.max_ratio
        if info.file_size > (1 << 20) and info.file_size > max(info.compress_size, 1) * ratio:
            ctx.issue("AIP-MODEL-011", f"member {name!r} declares a compression ratio above {ratio}:1", where=where)


def _decompressor(info: zipfile.ZipInfo, fh: BinaryIO) -> tuple[Any, int]:
    """A decompressor for the member's method and how many input bytes it consumed up front."""
    method = info.compress_type
    if method == zipfile.ZIP_STORED:
        return None, 0
    if method == zipfile.ZIP_DEFLATED:
        return zlib.decompressobj(-15), 0
    if method == zipfile.ZIP_BZIP2:
        return bz2.BZ2Decompressor(), 0
    if method == zipfile.ZIP_LZMA:
        head = fh.read(4)
        psize = struct.unpack("<H", head[2:4])[0] if len(head) == 4 else 0
        props = fh.read(psize)
        filt = lzma._decode_filter_properties(lzma.FILTER_LZMA1, props)  # noqa: SLF001
        return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[filt]), 4 + psize
    raise ValueError(f"compression method {method} is not supported")


def _member_stream(ctx: ScanContext, blob: Blob, info: zipfile.ZipInfo, where: str) -> BoundedStream:
    fh = blob.open()
    if not fh.seekable():
        fh = io.BytesIO(fh.read(ctx.options.archive.max_member_in_memory))
    fh.seek(info.header_offset)
    header = fh.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise ValueError("local header missing")
    nlen, elen = _LOCAL_HEADER.unpack(header)[-2:]
    local_name = fh.read(nlen).decode("utf-8", "replace")
    if local_name != info.filename:
        ctx.issue(
            "AIP-MODEL-012",
            f"local header names {local_name!r} where the directory says {info.filename!r}",
            where=where,
        )
    fh.seek(info.header_offset + _LOCAL_HEADER.size + nlen + elen)
    decomp, used = _decompressor(info, fh)
    limits = ctx.options.archive
    max_out = max(info.compress_size * limits.max_ratio, 16 << 20)
    return BoundedStream(fh, decomp, max_out, in_size=info.compress_size - used, on_output=lambda n: _account(ctx, n))


def _scan_zip_member(
    ctx: ScanContext, blob: Blob, fh: BinaryIO, info: zipfile.ZipInfo, where: str, scan_member: MemberScan
) -> None:
    if info.filename.endswith("/") or info.flag_bits & 0x0001:
        return
    label = member_where(where, info.filename)
    try:
        first = _member_stream(ctx, blob, info, label)
    except (ValueError, OSError, lzma.LZMAError) as exc:
        ctx.issue("AIP-MODEL-012", f"member {info.filename!r} unreadable: {exc}", where=where)
        return
    streams = [first]

    def open_member() -> BinaryIO:
        if streams:
            return streams.pop()
        return _member_stream(ctx, blob, info, label)

    member = Blob(name=label, size=info.file_size, open=open_member, depth=blob.depth + 1)
    try:
        scan_member(ctx, member, label)
    except OSError as exc:
        ctx.issue("AIP-MODEL-006", f"member data: {exc}", where=label)
        return
    _check_crc(ctx, first, info, label)


def _check_crc(ctx: ScanContext, stream: BoundedStream, info: zipfile.ZipInfo, where: str) -> None:
    """Compare the CRC when the scan read the whole member through `stream`."""
    if stream.produced == info.file_size and stream.crc != info.CRC:
        ctx.issue(
            "AIP-MODEL-012",
            f"CRC-32 mismatch (0x{stream.crc:08x} != 0x{info.CRC:08x}); scanned anyway",
            where=where,
        )


# --- tar -------------------------------------------------------------------------------


def scan_tar(
    ctx: ScanContext,
    blob: Blob,
    reader: ByteReader | None,
    where: str,
    scan_member: MemberScan,
    fileobj: BinaryIO | None = None,
) -> None:
    if not _depth_ok(ctx, blob, where):
        return
    fh = fileobj if fileobj is not None else _seekable_blob(ctx, blob, where)
    if fh is None:
        return
    mode = "r|" if fileobj is not None else "r:"
    try:
        with tarfile.open(fileobj=fh, mode=mode) as tf:
            for count, member in enumerate(tf):
                if count >= ctx.options.archive.max_entries:
                    ctx.issue("AIP-MODEL-011", f"more than {count} entries, the rest not scanned", where=where)
                    break
                _scan_tar_member(ctx, blob, tf, member, where, scan_member, streaming=fileobj is not None)
    except Bomb as exc:
        ctx.issue("AIP-MODEL-011", str(exc), where=where)
    except (tarfile.TarError, OSError, EOFError) as exc:
        ctx.issue("AIP-MODEL-006", f"tar archive: {exc}", where=where)


def _scan_tar_member(
    ctx: ScanContext,
    blob: Blob,
    tf: tarfile.TarFile,
    member: tarfile.TarInfo,
    where: str,
    scan_member: MemberScan,
    *,
    streaming: bool,
) -> None:
    name = member.name
    if _escapes(name):
        ctx.issue("AIP-MODEL-009", f"member {name!r} escapes the extraction folder", where=where)
    if member.issym() or member.islnk():
        kind = "symbolic" if member.issym() else "hard"
        ctx.issue("AIP-MODEL-010", f"member {name!r} is a {kind} link to {member.linkname!r}", where=where)
        return
    if not member.isfile():
        return
    _account(ctx, member.size)
    label = member_where(where, name)

    def open_member() -> BinaryIO:
        stream = tf.extractfile(member)
        if stream is None:
            raise OSError("member cannot be read")
        return stream

    if streaming:
        first = open_member()
        opened = [first]

        def open_member_once() -> BinaryIO:
            if opened:
                return opened.pop()
            raise OSError("a streamed tar member can be read only once")

        member_blob = Blob(name=label, size=member.size, open=open_member_once, depth=blob.depth + 1)
    else:
        member_blob = Blob(name=label, size=member.size, open=open_member, depth=blob.depth + 1)
    try:
        scan_member(ctx, member_blob, label)
    except OSError as exc:
        ctx.issue("AIP-MODEL-006", f"member data: {exc}", where=label)


# --- compressed streams -----------------------------------------------------------------


def open_decompressed(ctx: ScanContext, blob: Blob, fmt: str) -> BoundedStream:
    raw = blob.open()
    limits = ctx.options.archive
    max_out = min(max(blob.size * limits.max_ratio, 16 << 20), limits.max_total)
    if fmt == "gzip":
        inner: Any = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif fmt == "zlib":
        inner = zlib.decompressobj()
    elif fmt == "bzip2":
        inner = bz2.BZ2Decompressor()
    elif fmt == "xz":
        inner = lzma.LZMADecompressor(lzma.FORMAT_XZ)
    elif fmt == "lzma":
        inner = lzma.LZMADecompressor(lzma.FORMAT_ALONE)
    else:
        raise ValueError(f"{fmt} compression is not supported (install the lz4 package to scan it)")
    return BoundedStream(raw, inner, max_out, on_output=lambda n: _account(ctx, n))
