"""Helpers for the source-level scanner tests: write a file under tmp_path, run one
scanner on it the way the engine does (wants, then scan), and return what it reported."""

from __future__ import annotations

import json
from pathlib import Path

from aiposture.discover.base import ScanOutput, SourceFile
from aiposture.model import Asset

# Test-only secrets, assembled at run time so no scanner flags this repository.
OPENAI_KEY = "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0" * 3
ANTHROPIC_KEY = "sk-ant-api03-" + "Ab1Cd2Ef3Gh4" * 8 + "-AA"
HF_TOKEN = "hf_" + "aBcDeFgHiJ" * 3 + "xyzw"
ALL_KEYS = (OPENAI_KEY, ANTHROPIC_KEY, HF_TOKEN)


def scan(scanner, tmp_path: Path, rel: str, content: str | bytes) -> ScanOutput:  # noqa: ANN001
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    assert scanner.wants(rel, path.name, path.suffix.lower()), f"{scanner.name} should want {rel}"
    out = ScanOutput()
    scanner.scan(SourceFile(path=path, rel=rel, size=path.stat().st_size), out)
    return out


def names(out: ScanOutput, kind: str | None = None) -> set[str]:
    return {a.name for a in out.assets if kind is None or a.kind == kind}


def by_name(out: ScanOutput, name: str) -> Asset:
    found = [a for a in out.assets if a.name == name]
    assert found, f"{name} not in {sorted(names(out))}"
    return found[0]


def assert_no_clear_secret(out: ScanOutput, *secrets: str) -> None:
    """No secret (nor a long piece of it) in any asset or finding field."""
    dumped = json.dumps(
        [a.model_dump(mode="json") for a in out.assets]
        + [f.model_dump(mode="json") for f in out.findings]
        + [s.model_dump(mode="json") for s in out.skipped]
    )
    for secret in secrets or ALL_KEYS:
        assert secret not in dumped
        assert secret[4:20] not in dumped
