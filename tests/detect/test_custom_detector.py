"""Custom types: user patterns with checksums and keywords, and exact values matched
through their hashes without the clear values being stored."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aiposture.detect.custom import CustomDetector, hash_value, hashed_values_entry, normalise_value
from aiposture.errors import InputError

CONFIG = {
    "types": [{
        "id": "CUSTOM-EMPLOYEE-ID", "type": "EMPLOYEE_ID", "title": "Contoso employee id",
        "patterns": [{"name": "emp", "regex": r"\bEMP-(\d{6})\b", "score": 0.6, "group": 1}],
        "context": {"keywords": ["employee", "staff"], "boost": 0.3},
    }, {
        "id": "CUSTOM-LOYALTY-CARD", "type": "LOYALTY_CARD", "title": "Loyalty card (Luhn)",
        "patterns": [{"name": "card", "regex": r"\bLC(\d{12})\b", "score": 0.8, "group": 1}],
        "checksum": "luhn",
    }],
    "values": [hashed_values_entry(["Project Obsidian", "Bluefin"], id="CUSTOM-CODENAMES",
                                   type="PROJECT_CODENAME", salt="s3cret-salt")],
}


@pytest.fixture()
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
    return path


def test_file_holds_no_clear_values(config_file: Path) -> None:
    text = config_file.read_text(encoding="utf-8").lower()
    assert "obsidian" not in text and "bluefin" not in text


@pytest.mark.parametrize(("text", "kind", "span"), [
    ("The employee EMP-123456 left", "EMPLOYEE_ID", "123456"),
    ("card LC411111111117", "LOYALTY_CARD", "411111111117"),
    ("Status of Project Obsidian?", "PROJECT_CODENAME", "Project Obsidian"),
    ("status of PROJECT-obsidian!", "PROJECT_CODENAME", "PROJECT-obsidian"),
    ("ｐｒｏｊｅｃｔ ｏｂｓｉｄｉａｎ", "PROJECT_CODENAME", "ｐｒｏｊｅｃｔ ｏｂｓｉｄｉａｎ"),  # NFKC
    ("bluefin launch", "PROJECT_CODENAME", "bluefin"),
])
def test_custom_types_and_values_found(config_file: Path, text: str, kind: str, span: str) -> None:
    hits = [d for d in CustomDetector(path=config_file).detect(text) if d.type == kind]
    assert len(hits) == 1 and text[hits[0].start:hits[0].end] == span
    assert "obsidian" not in hits[0].text.lower()


@pytest.mark.parametrize("text", ["card LC411111111111", "project obsidians", "ProjectObsidian", "obsidian"])
def test_near_misses_not_found(config_file: Path, text: str) -> None:
    assert [d for d in CustomDetector(path=config_file).detect(text) if d.type != "EMPLOYEE_ID"] == []


def test_keyword_raises_the_score(config_file: Path) -> None:
    det = CustomDetector(path=config_file)
    (bare,) = det.detect("id EMP-123456")
    (worded,) = det.detect("staff id EMP-123456")
    assert worded.score > bare.score


def test_salt_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = hashed_values_entry(["Project Obsidian"], id="CUSTOM-X", type="CODENAME", salt="pepper")
    entry.pop("salt")
    entry["salt_env"] = "TEST_CUSTOM_SALT"
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"values": [entry]}), encoding="utf-8")
    monkeypatch.delenv("TEST_CUSTOM_SALT", raising=False)
    with pytest.raises(InputError, match="TEST_CUSTOM_SALT"):
        CustomDetector(path=path)
    monkeypatch.setenv("TEST_CUSTOM_SALT", "pepper")
    assert CustomDetector(path=path).detect("about project obsidian")[0].type == "CODENAME"


def test_hashing_is_over_the_normalised_value() -> None:
    assert normalise_value("  Project   OBSIDIAN! ") == "project obsidian"
    assert hash_value("Project Obsidian") == hash_value("project-obsidian")
    assert hash_value("Project Obsidian", "a") != hash_value("Project Obsidian", "b")


@pytest.mark.parametrize("bad", [
    {"types": [{"id": "X", "type": "T", "title": "t",
                "patterns": [{"name": "p", "regex": "(", "score": 1}]}]},
    {"types": [{"id": "CUSTOM-A", "type": "T", "title": "t", "checksum": "nope",
                "patterns": [{"name": "p", "regex": "a", "score": 1}]}]},
    {"values": [{"id": "CUSTOM-A", "type": "T", "hashes": ["not-hex"]}]},
    {"unknown": 1},
])
def test_invalid_config_is_a_clear_input_error(tmp_path: Path, bad: dict) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(InputError):
        CustomDetector(path=path)


def test_no_configuration_finds_nothing() -> None:
    assert CustomDetector().detect("Project Obsidian EMP-123456") == []
