"""The engine routes files to scanners, merges sightings, survives bad files and
scanners, bounds sizes, and gives the same answer in-process and over a pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiposture.discover.base import MalformedInput, ScanOutput, SourceFile
from aiposture.discover.engine import DiscoverOptions, discover
from aiposture.errors import InputError
from aiposture.model import Asset


class ImportSpotter:
    """A tiny scanner for engine tests: `import openai` -> one estate-wide sdk asset."""

    name = "spotter"

    def wants(self, rel: str, name: str, suffix: str) -> bool:
        return suffix in (".py", ".json")

    def scan(self, source: SourceFile, out: ScanOutput) -> None:
        text = source.text()
        if text is None:
            out.skip(source.rel, "binary or not UTF-8")
            return
        if source.suffix == ".json" and not text.strip().startswith("{"):
            raise MalformedInput("not a JSON object")
        if "boom" in text:
            raise RuntimeError("scanner bug")
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip() == "import openai":
                out.asset(Asset.make("sdk", "OpenAI", locations=[source.loc(number)]))


def _estate(root: Path, files: int) -> None:
    for i in range(files):
        folder = root / f"app{i % 7}"
        folder.mkdir(exist_ok=True)
        (folder / f"m{i}.py").write_text("x = 1\nimport openai\n" if i % 3 == 0 else "y = 2\n")


def test_sightings_merge_into_one_asset(tmp_path):
    _estate(tmp_path, 30)
    result = discover(tmp_path, scanners=[ImportSpotter()])
    assert len(result.assets) == 1
    assert len(result.assets[0].locations) == 10
    assert all(loc.line == 2 for loc in result.assets[0].locations)
    assert result.run.files_scanned == 30


def test_pool_and_in_process_agree(tmp_path):
    _estate(tmp_path, 1200)  # above the in-process limit: uses the process pool
    pooled = discover(tmp_path, DiscoverOptions(workers=2), scanners=[ImportSpotter()])
    single = discover(tmp_path, DiscoverOptions(workers=1), scanners=[ImportSpotter()])
    assert pooled.run.files_scanned == single.run.files_scanned == 1200
    assert pooled.model_dump(exclude={"run"}) == single.model_dump(exclude={"run"})


def test_bad_files_are_skipped_with_reasons_and_the_scan_goes_on(tmp_path):
    (tmp_path / "ok.py").write_text("import openai\n")
    (tmp_path / "bin.py").write_bytes(b"\x00\x01\x02import openai")
    (tmp_path / "latin1.py").write_bytes("café = 1\n".encode("latin-1"))
    (tmp_path / "bad.json").write_text("[1, 2")
    (tmp_path / "bug.py").write_text("boom\n")
    (tmp_path / "huge.py").write_text("import openai\n" + "#" * 5000)
    result = discover(tmp_path, DiscoverOptions(max_file_size=1000), scanners=[ImportSpotter()])
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons["bin.py"] == "binary or not UTF-8"
    assert reasons["latin1.py"] == "binary or not UTF-8"
    assert reasons["bad.json"] == "malformed (spotter): not a JSON object"
    assert reasons["bug.py"].startswith("scanner spotter failed: RuntimeError")
    assert reasons["huge.py"].startswith("larger than the 1,000-byte limit")
    assert [loc.path for loc in result.assets[0].locations] == ["ok.py"]


def test_single_file_target(tmp_path):
    target = tmp_path / "one.py"
    target.write_text("import openai\n")
    result = discover(target, scanners=[ImportSpotter()])
    assert result.assets[0].locations[0].path == "one.py"


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        discover(tmp_path / "nope", scanners=[ImportSpotter()])
