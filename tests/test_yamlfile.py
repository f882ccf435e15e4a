"""The shared YAML reader: every bad file is one InputError line, never a traceback."""

from __future__ import annotations

import pytest

from aiposture.errors import InputError
from aiposture.yamlfile import read_mapping


@pytest.mark.parametrize("content,message", [
    (b"\xdf\xff\x00binary", "is not UTF-8 text"),
    (b"name: x\nkind: [\n", "is not valid YAML"),
    (b"- a\n- b\n", "must be a mapping"),
    (b"x" * 2048, "larger than 1024 bytes"),
])
def test_bad_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "f.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_mapping(path, max_bytes=1024)


def test_deeply_nested_yaml_is_one_line(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_bytes(b"a: " + b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(InputError, match="deep.yaml is YAML nested too deeply"):
        read_mapping(path)


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_mapping(tmp_path / "nope.yaml")
    (tmp_path / "empty.yaml").write_bytes(b"")
    assert read_mapping(tmp_path / "empty.yaml") == {}
    (tmp_path / "ok.yaml").write_text("name: support-agent\ntools: [search_kb]\n", encoding="utf-8")
    assert read_mapping(tmp_path / "ok.yaml") == {"name": "support-agent", "tools": ["search_kb"]}
