"""The discovery engine: walk once, route each file to the scanners that want it,
run them over both cores, and merge what they report into one ScanResult.

Files are scanned in batches by a process pool (the GIL would otherwise cap us at
one core); each worker loads the scanner registry once. A scanner that fails on a
file costs only that file: it is recorded as skipped with the reason, and the scan
goes on. Small trees are scanned in-process, where a pool would cost more than it saves.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiposture.discover.base import MalformedInput, Scanner, ScanOutput, SourceFile
from aiposture.discover.registry import load_scanners
from aiposture.discover.walk import DEFAULT_SKIP_DIRS, WalkedFile, WalkOptions, walk
from aiposture.errors import InputError
from aiposture.model import Asset, Finding, RunInfo, ScanResult, Skipped

Progress = Callable[[int, int], None]  # (files done, files seen so far)

BATCH_SIZE = 256
IN_PROCESS_LIMIT = 400  # trees with fewer files than this are scanned without a pool


@dataclass
class DiscoverOptions:
    excludes: list[str] = field(default_factory=list)
    honour_gitignore: bool = True
    max_file_size: int = 10 * 1024 * 1024
    workers: int = 0  # 0: one per core
    scanners: list[str] | None = None  # None: every registered scanner
    skip_dirs: frozenset[str] = DEFAULT_SKIP_DIRS


def discover(root: Path, options: DiscoverOptions | None = None, progress: Progress | None = None,
             command: str = "discover", scanners: list[Scanner] | None = None) -> ScanResult:
    """Scan `root` and return its inventory; raises InputError if it cannot be read.
    `scanners` defaults to every registered scanner (or those `options.scanners` names)."""
    options = options or DiscoverOptions()
    root = Path(root)
    if not root.exists():
        raise InputError(f"no such file or directory: {root}")
    started = datetime.now(UTC)
    scanners = scanners if scanners is not None else load_scanners(options.scanners)
    skipped_walk: list[tuple[str, str]] = []
    if root.is_file():
        files: Iterable[WalkedFile] = [WalkedFile(os.fspath(root), root.name, root.stat().st_size)]
        base = root.parent
    else:
        files = walk(root, WalkOptions(options.excludes, options.honour_gitignore, options.skip_dirs),
                     skipped_walk)
        base = root
    merged = _Merger()
    count = 0
    for output, n in _scan_all(files, scanners, options, progress):
        merged.add(output)
        count += n
    merged.skipped.extend(Skipped(path=p, reason=r) for p, r in skipped_walk)
    run = RunInfo(id=uuid.uuid4().hex, command=command, target=os.path.realpath(base if root.is_dir() else root),
                  started=started, finished=datetime.now(UTC), files_scanned=count)
    return merged.result(run)


def _batches(files: Iterable[WalkedFile], size: int) -> Iterator[list[WalkedFile]]:
    batch: list[WalkedFile] = []
    for f in files:
        batch.append(f)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _scan_all(files: Iterable[WalkedFile], scanners: list[Scanner], options: DiscoverOptions,
              progress: Progress | None) -> Iterator[tuple[ScanOutput, int]]:
    """Scan in-process until the tree proves large, then hand batches to a pool with
    a bounded number in flight (memory stays flat however big the tree)."""
    iterator = iter(files)
    head: list[WalkedFile] = []
    for f in iterator:
        head.append(f)
        if len(head) >= IN_PROCESS_LIMIT:
            break
    workers = options.workers or os.cpu_count() or 1
    done = seen = 0
    if len(head) < IN_PROCESS_LIMIT or workers <= 1:
        for batch in _batches(_chain(head, iterator), BATCH_SIZE):
            seen += len(batch)
            out = scan_batch(batch, scanners, options.max_file_size)
            done += len(batch)
            if progress:
                progress(done, seen)
            yield out, len(batch)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(scanners,)) as pool:
        pending: dict[Future, int] = {}
        for batch in _batches(_chain(head, iterator), BATCH_SIZE):
            seen += len(batch)
            pending[pool.submit(_worker_scan, batch, options.max_file_size)] = len(batch)
            while len(pending) >= workers * 3:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    n = pending.pop(fut)
                    done += n
                    if progress:
                        progress(done, seen)
                    yield fut.result(), n
        for fut in list(pending):
            n = pending.pop(fut)
            done += n
            if progress:
                progress(done, seen)
            yield fut.result(), n


def _chain(head: list[WalkedFile], rest: Iterator[WalkedFile]) -> Iterator[WalkedFile]:
    yield from head
    yield from rest


_WORKER_SCANNERS: list[Scanner] = []


def _init_worker(scanners: list[Scanner]) -> None:
    _WORKER_SCANNERS[:] = scanners


def _worker_scan(batch: list[WalkedFile], max_file_size: int) -> ScanOutput:
    return scan_batch(batch, _WORKER_SCANNERS, max_file_size)


def scan_batch(batch: list[WalkedFile], scanners: list[Scanner], max_file_size: int) -> ScanOutput:
    out = ScanOutput()
    for walked in batch:
        scan_file(walked, scanners, max_file_size, out)
    return out


def scan_file(walked: WalkedFile, scanners: list[Scanner], max_file_size: int, out: ScanOutput) -> None:
    """Run every interested scanner on one file. Streaming scanners (those with
    `streams = True`, e.g. model files) see files of any size; the others are spared
    files over the limit, which are noted as skipped."""
    name = os.path.basename(walked.path)
    suffix = os.path.splitext(name)[1].lower()
    interested = [s for s in scanners if s.wants(walked.rel, name, suffix)]
    if not interested:
        return
    source = SourceFile(path=Path(walked.path), rel=walked.rel, size=walked.size)
    for scanner in interested:
        if walked.size > max_file_size and not getattr(scanner, "streams", False):
            out.skip(walked.rel, f"larger than the {max_file_size:,}-byte limit ({walked.size:,} bytes)")
            return
        try:
            scanner.scan(source, out)
        except MalformedInput as exc:
            out.skip(walked.rel, f"malformed ({scanner.name}): {exc}")
        except PermissionError:
            out.skip(walked.rel, "unreadable: permission denied")
            return
        except OSError as exc:
            out.skip(walked.rel, f"unreadable: {exc.strerror or exc}")
            return
        except RecursionError:
            out.skip(walked.rel, f"too deeply nested for {scanner.name}")
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop an estate scan
            out.skip(walked.rel, f"scanner {scanner.name} failed: {exc.__class__.__name__}: {exc}"[:300])


class _Merger:
    """Folds scanner outputs into one result: one asset per id (locations merged),
    one finding per id, skipped files listed once."""

    def __init__(self) -> None:
        self.assets: dict[str, Asset] = {}
        self.findings: dict[str, Finding] = {}
        self.skipped: list[Skipped] = []
        self._skipped_keys: set[tuple[str, str]] = set()

    def add(self, out: ScanOutput) -> None:
        for asset in out.assets:
            known = self.assets.get(asset.id)
            if known is None:
                self.assets[asset.id] = asset
            else:
                known.merge(asset)
        for finding in out.findings:
            self.findings.setdefault(finding.id, finding)
        for s in out.skipped:
            if (s.path, s.reason) not in self._skipped_keys:
                self._skipped_keys.add((s.path, s.reason))
                self.skipped.append(s)

    def result(self, run: RunInfo) -> ScanResult:
        assets = sorted(self.assets.values(), key=lambda a: (a.kind, a.name.lower(), a.id))
        for asset in assets:
            asset.locations.sort(key=lambda loc: (loc.path, loc.line or 0))
        findings = sorted(self.findings.values(),
                          key=lambda f: (-f.severity.rank, f.rule, str(f.location or "")))
        return ScanResult(run=run, assets=assets, findings=findings, skipped=self.skipped)
