"""Signatures next to a model, --require-signed, and the approved-model registry."""

from __future__ import annotations

import sys
import types

import pytest
from model_corpus import safetensors_bytes

from aiposture.discover.models import ApprovedModels, ScanOptions, scan_file
from aiposture.discover.models import signing as signing_module
from aiposture.errors import InputError


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(
        safetensors_bytes({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4)
    )
    return path


def test_unsigned_is_a_finding_only_when_required(model) -> None:
    assert scan_file(model).signed is False
    assert scan_file(model).verdict == "safe"
    report = scan_file(model, options=ScanOptions(require_signed=True))
    assert "AIP-MODEL-022" in {i.rule for i in report.issues}
    assert report.verdict == "suspicious"


@pytest.mark.parametrize(
    "sig_name", ["model.sig", "model.safetensors.sig", "model.safetensors.sigstore.json"]
)
def test_signature_present_but_not_verified_is_said_honestly(model, sig_name) -> None:
    (model.parent / sig_name).write_text("{}")
    report = scan_file(model, options=ScanOptions(require_signed=True))
    assert report.signed is True
    assert report.signature_verified is None
    rules = {i.rule for i in report.issues}
    assert "AIP-MODEL-023" in rules and "AIP-MODEL-022" not in rules
    assert report.verdict == "safe"


@pytest.mark.parametrize(("fails", "rule", "verdict"), [(False, None, True), (True, "AIP-MODEL-024", False)])
def test_verification_through_model_signing(model, monkeypatch, tmp_path, fails, rule, verdict) -> None:
    (model.parent / "model.sig").write_text("{}")
    key = tmp_path / "key.pub"
    key.write_text("pub")

    class Config:
        def use_elliptic_key_verifier(self, *, public_key):
            return self

        def verify(self, target, signature):
            if fails:
                raise ValueError("manifest mismatch")

    fake = types.ModuleType("model_signing")
    fake.verifying = types.SimpleNamespace(Config=Config)
    monkeypatch.setitem(sys.modules, "model_signing", fake)
    signing_module._verify.cache_clear()
    report = scan_file(model, options=ScanOptions(signer_key=key))
    signing_module._verify.cache_clear()
    assert report.signature_verified is verdict
    if rule:
        assert rule in {i.rule for i in report.issues}
        assert report.verdict == "unsafe"


def test_registry_by_hash_and_by_name(tmp_path, model) -> None:
    sha = scan_file(model).sha256
    registry_file = tmp_path / "approved.yaml"
    registry_file.write_text(
        "approved_models:\n"
        f"  - sha256: {sha.upper()}\n    note: reviewed\n"
        "  - name: gpt-4o*\n    provider: openai\n"
        "  - name: claude-sonnet-4\n    provider: anthropic\n    version: '20250514'\n"
    )
    registry = ApprovedModels.load(registry_file)
    assert registry.is_approved(sha256=sha)
    assert registry.is_approved(name="gpt-4o-mini", provider="openai")
    assert registry.is_approved(name="openai/GPT-4o")
    assert not registry.is_approved(name="gpt-4o", provider="azure")
    assert registry.is_approved(name="claude-sonnet-4", provider="anthropic", version="20250514")
    assert not registry.is_approved(name="claude-sonnet-4", provider="anthropic", version="1")
    assert not registry.is_approved(name="llama3")
    assert scan_file(model, approved=registry).approved is True
    other = tmp_path / "other.safetensors"
    other.write_bytes(model.read_bytes() + b"")
    other.write_bytes(safetensors_bytes({}, b""))
    report = scan_file(other, approved=registry)
    assert report.approved is False
    assert "AIP-MODEL-025" in {i.rule for i in report.issues}


@pytest.mark.parametrize(
    "text",
    [
        "approved_models: [{provider: x}]",
        "approved_models: [{sha256: nothex}]",
        "approved_models: [{name: a, colour: red}]",
        "[unclosed",
    ],
)
def test_bad_registry_is_an_input_error(tmp_path, text) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(InputError):
        ApprovedModels.load(path)
