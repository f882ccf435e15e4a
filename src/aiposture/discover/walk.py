"""Walks a directory tree the way a careful scanner must: never follows a symlinked
directory (no loops, no escaping the root), honours `.gitignore` files at every
level and the user's `--exclude` patterns (gitignore syntax, via pathspec), skips
well-known vendored folders, bounds depth, and reports everything it leaves out
with a reason instead of failing.

Written as an explicit stack over `os.scandir` rather than `os.walk` because we need
per-directory ignore files, symlink policy and skip reasons in one pass.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

DEFAULT_SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".aiposture", ".idea",
})


@dataclass(frozen=True)
class WalkedFile:
    path: str  # absolute, as the OS gives it
    rel: str  # relative to root, POSIX, printable (undecodable bytes replaced)
    size: int


@dataclass
class WalkOptions:
    excludes: list[str] = field(default_factory=list)
    honour_gitignore: bool = True
    skip_dirs: frozenset[str] = DEFAULT_SKIP_DIRS
    max_depth: int = 64


def printable(rel: str) -> str:
    """A path that is safe to put in JSON and on a terminal, whatever bytes it had."""
    text = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(ch if ch.isprintable() else "?" for ch in text)


class _Ignores:
    """The stack of `.gitignore` specs in force, each anchored at its directory."""

    def __init__(self, excludes: list[str]) -> None:
        self._user = pathspec.GitIgnoreSpec.from_lines(excludes) if excludes else None

    def excluded(self, rel: str, is_dir: bool, specs: list[tuple[str, pathspec.PathSpec]]) -> bool:
        probe = rel + "/" if is_dir else rel
        if self._user is not None and self._user.match_file(probe):
            return True
        for base, spec in specs:
            sub = probe[len(base):] if base else probe
            if spec.match_file(sub):
                return True
        return False


def _read_gitignore(directory: str) -> pathspec.PathSpec | None:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as fh:
            lines = fh.read(1_000_000).splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def walk(root: Path, options: WalkOptions, skipped: list[tuple[str, str]]) -> Iterator[WalkedFile]:
    """Yield every regular file under `root`; append (path, reason) to `skipped` for
    everything left out that a person might have expected to be scanned."""
    ignores = _Ignores(options.excludes)
    root_str = os.fspath(root)
    # stack entries: (absolute dir, rel prefix ("" or "a/b/"), depth, gitignore specs in force)
    stack: list[tuple[str, str, int, list]] = [(root_str, "", 0, [])]
    while stack:
        directory, prefix, depth, specs = stack.pop()
        if options.honour_gitignore:
            spec = _read_gitignore(directory)
            if spec is not None:
                specs = [*specs, (prefix, spec)]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name, reverse=True)
        except OSError as exc:
            skipped.append((printable(prefix or "."), f"unreadable directory: {exc.strerror or exc}"))
            continue
        for entry in entries:
            rel = prefix + entry.name
            try:
                is_link = entry.is_symlink()
                st = entry.stat(follow_symlinks=True) if is_link else entry.stat(follow_symlinks=False)
            except OSError as exc:
                skipped.append((printable(rel), f"unreadable: {exc.strerror or 'broken symlink'}"))
                continue
            if stat.S_ISDIR(st.st_mode):
                if entry.name in options.skip_dirs or ignores.excluded(rel, True, specs):
                    continue
                if is_link:
                    skipped.append((printable(rel), "symlinked directory not followed"))
                elif depth + 1 > options.max_depth:
                    skipped.append((printable(rel), f"deeper than {options.max_depth} levels"))
                else:
                    stack.append((entry.path, rel + "/", depth + 1, specs))
                continue
            if not stat.S_ISREG(st.st_mode) or ignores.excluded(rel, False, specs):
                continue
            if is_link and not _inside(root_str, entry.path):
                skipped.append((printable(rel), "symlink points outside the scan root"))
                continue
            yield WalkedFile(path=entry.path, rel=printable(rel), size=st.st_size)


def _inside(root: str, path: str) -> bool:
    real_root = os.path.realpath(root)
    return os.path.commonpath([real_root, os.path.realpath(path)]) == real_root
