"""The walker leaves out what it must (ignored, vendored, looping, outside the root)
and says why for everything a person might have expected to be scanned."""

from __future__ import annotations

import os

from aiposture.discover.walk import WalkOptions, printable, walk


def _tree(root):
    (root / "src" / "deep").mkdir(parents=True)
    (root / "src" / "app.py").write_text("import openai\n")
    (root / "src" / "deep" / "b.py").write_text("x = 1\n")
    (root / "node_modules" / "openai").mkdir(parents=True)
    (root / "node_modules" / "openai" / "index.js").write_text("//")
    (root / "build").mkdir()
    (root / "build" / "gen.py").write_text("")
    (root / "notes.log").write_text("")
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "src" / ".gitignore").write_text("deep/b.py\n")


def _rels(root, options=None):
    skipped: list = []
    files = sorted(f.rel for f in walk(root, options or WalkOptions(), skipped))
    return files, skipped


def test_gitignore_at_every_level_and_default_skips(tmp_path):
    _tree(tmp_path)
    files, _ = _rels(tmp_path)
    assert files == [".gitignore", "src/.gitignore", "src/app.py"]


def test_gitignore_can_be_turned_off_and_excludes_added(tmp_path):
    _tree(tmp_path)
    files, _ = _rels(tmp_path, WalkOptions(excludes=["*.py"], honour_gitignore=False))
    assert "build/gen.py" not in files and "notes.log" in files and "src/app.py" not in files


def test_symlink_loops_and_escapes_are_reported_not_followed(tmp_path):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "a" / "f.py").write_text("")
    os.symlink(root, root / "a" / "loop")
    outside = tmp_path / "secret.txt"
    outside.write_text("x")
    os.symlink(outside, root / "escape.txt")
    os.symlink(root / "a" / "f.py", root / "inside.py")
    os.symlink(tmp_path / "missing", root / "dangling")
    files, skipped = _rels(root)
    assert files == ["a/f.py", "inside.py"]
    reasons = dict(skipped)
    assert reasons["a/loop"] == "symlinked directory not followed"
    assert reasons["escape.txt"] == "symlink points outside the scan root"
    assert reasons["dangling"].startswith("unreadable")


def test_depth_bound(tmp_path):
    deep = tmp_path
    for i in range(10):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "x.py").write_text("")
    files, skipped = _rels(tmp_path, WalkOptions(max_depth=5))
    assert files == []
    assert any("deeper than 5" in reason for _, reason in skipped)


def test_unreadable_directory_is_skipped(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.py").write_text("")
    locked.chmod(0)
    try:
        files, skipped = _rels(tmp_path)
    finally:
        locked.chmod(0o755)
    if os.geteuid() != 0:  # root reads everything
        assert files == [] and skipped[0][0] == "locked"


def test_odd_names_are_printable():
    raw = os.fsdecode(b"caf\xe9\n.py")
    assert printable(raw) == "caf\ufffd?.py"
