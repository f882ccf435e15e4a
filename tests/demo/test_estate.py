"""The sample estate is written whole, with generated secrets and model files that
look real to scanners, and never clobbers a user's folder by accident."""

from __future__ import annotations

import pickletools

import pytest

from aiposture.demo.estate import _fake_keys, write_estate
from aiposture.errors import InputError


def test_estate_has_apps_in_five_languages_iac_models_and_env(tmp_path):
    estate = write_estate(tmp_path / "contoso")
    names = {p.relative_to(estate).as_posix() for p in estate.rglob("*") if p.is_file()}
    for expected in ("apps/support-copilot/app.py", "apps/obsidian-search/src/index.ts",
                     "apps/invoice-agent/Program.cs", "apps/ops-bot/main.go", "infra/azure/main.tf",
                     "apps/fraud-scoring/src/main/java/com/contoso/fraud/Explainer.java", ".vscode/mcp.json",
                     "apps/support-copilot/.env", "models/sentiment-head.safetensors",
                     "models/legacy-churn-classifier.pkl", "notebooks/sentiment-eval.ipynb"):
        assert expected in names
    env = (estate / "apps" / "support-copilot" / ".env").read_text()
    assert _fake_keys()["OPENAI_API_KEY"] in env
    ops = [op.name for op, _, _ in pickletools.genops((estate / "models/legacy-churn-classifier.pkl").read_bytes())]
    assert ops[:2] == ["PROTO", "GLOBAL"] and "REDUCE" in ops


def test_refuses_a_non_empty_folder_without_force(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(InputError, match="not empty"):
        write_estate(tmp_path)
    write_estate(tmp_path, overwrite=True)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_estate_gateway_config_is_valid_for_the_real_gateway(tmp_path):
    from aiposture.gateway.config import GatewayConfig, PolicyHolder

    estate = write_estate(tmp_path / "contoso")
    config = GatewayConfig.load(estate / "gateway" / "gateway.yaml")
    policy = PolicyHolder(config.policy).policy
    assert config.audit.retention_days == 365
    assert {"support-copilot", "obsidian-search"} <= set(policy.principals)
    assert policy.model_allowed("support-copilot", "gpt-4o")
    assert not policy.model_allowed("obsidian-search", "gpt-4o")
