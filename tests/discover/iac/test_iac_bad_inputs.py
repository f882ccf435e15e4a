"""Hostile and broken IaC files: each is refused with MalformedInput or ignored,
never a crash, a hang on an alias bomb, or a segfault on deep nesting."""

from __future__ import annotations

import pytest
from iac_fixtures import scan_text

from aiposture.discover.base import MalformedInput

BOMB = "apiVersion: v1\nkind: ConfigMap\n" + "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join(f'*a{i - 1}' for _ in range(10))}]\n" for i in range(1, 12))


@pytest.mark.parametrize(("rel", "text", "match"), [
    ("k8s/bomb.yaml", BOMB, "alias"),
    ("k8s/deep.yaml", "apiVersion: v1\nkind: Pod\nspec: " + "[" * 200_000 + "]" * 200_000 + "\n", "nested"),
    ("k8s/deepmap.yaml", "apiVersion: v1\nkind: Pod\nspec: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n",
     "nested"),
    ("cfn/deep.yaml", "AWSTemplateFormatVersion: x\nResources: " + "[" * 200_000 + "]" * 200_000, "nested"),
    ("k8s/broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n", "malformed YAML"),
    ("k8s/tabs.yaml", "apiVersion: v1\nkind: Pod\n\tspec: x\n", "malformed YAML"),
    ("values.yaml", "image: [\n", "malformed YAML"),
    ("docker-compose.yml", "services:\n  a: {image: x\n", "malformed YAML"),
    ("arm.json", '{"$schema": "deploymentTemplate", "resources": [}', "malformed JSON"),
])
def test_refused(tmp_path, rel, text, match):
    with pytest.raises(MalformedInput, match=match):
        scan_text(tmp_path, rel, text)


@pytest.mark.parametrize(("rel", "data"), [
    ("main.bicep", b"\xff\xfe r\x00e\x00s\x00"),
    ("main.bicep", "resource x 'Microsoft.Search/searchServices@1' = {}".encode("utf-16")),
    ("infra/main.tf", b"\x89PNG\r\n\x1a\n\x00\x00resource"),
])
def test_binary_and_non_utf8_are_skipped(tmp_path, rel, data):
    out = scan_text(tmp_path, rel, data)
    assert out.assets == [] and len(out.skipped) == 1


@pytest.mark.parametrize(("rel", "data"), [
    ("k8s/blob.yaml", b"\x00\x01apiVersion kind"),
    ("x.json", b"\xff\xd8\xff\xe0deploymentTemplate"),
])
def test_binary_shared_suffixes_are_left_to_other_scanners(tmp_path, rel, data):
    out = scan_text(tmp_path, rel, data)
    assert out.assets == [] and out.skipped == []


def test_many_documents_are_bounded(tmp_path):
    doc = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: s{i}}}\nspec:\n  template:\n    spec:\n"
           "      containers: [{{name: c, image: 'ollama/ollama:0.4'}}]\n")
    text = "---\n".join(doc.format(i=i) for i in range(2_500))
    out = scan_text(tmp_path, "k8s/many.yaml", text)
    assert len(out.assets) == 2_000  # MAX_DOCUMENTS


def test_legitimate_anchors_still_work(tmp_path):
    image = "ghcr.io/huggingface/text-generation-inference:2.4"
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: tgi}\nspec:\n  template:\n    spec:\n"
            f"      containers:\n        - &c {{name: a, image: '{image}'}}\n        - *c\n")
    out = scan_text(tmp_path, "k8s/anchors.yaml", text)
    assert {a.properties["server"] for a in out.assets} == {"tgi"}


def test_secret_env_values_never_reach_assets(tmp_path):
    secret = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: tgi}\nspec:\n  containers:\n"
            "    - name: tgi\n      image: ghcr.io/huggingface/text-generation-inference:2.4\n"
            f"      env:\n        - {{name: HF_TOKEN, value: {secret}}}\n"
            "        - {name: MODEL_ID, value: org/model}\n")
    out = scan_text(tmp_path, "k8s/pod.yaml", text)
    dumped = " ".join(x.model_dump_json() for x in [*out.assets, *out.findings])
    assert secret not in dumped and "HF_TOKEN" in dumped and "org/model" in dumped


def _type_confusion_cases():
    import json
    import random
    import sys
    from pathlib import Path

    import yaml

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from structure_fuzz import mutate
    from test_iac_cloudformation import TEMPLATE
    from test_iac_kubernetes import COMPOSE, MANIFESTS, VALUES

    from aiposture.discover import safe_yaml
    from aiposture.discover.iac.cloudformation import CfnFastLoader, CfnLoader

    arm = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
           "parameters": {"n": {"defaultValue": "x"}},
           "resources": [{"type": "Microsoft.CognitiveServices/accounts", "name": "[parameters('n')]",
                          "properties": {"publicNetworkAccess": "Enabled"},
                          "resources": [{"type": "deployments", "name": "d",
                                         "properties": {"model": {"name": "gpt-4o"}}}]}]}
    bases = [
        ("k8s/m.yaml", safe_yaml.load_all(MANIFESTS), "yaml-multi"),
        ("values.yaml", safe_yaml.load_one(VALUES), "yaml"),
        ("docker-compose.yml", safe_yaml.load_one(COMPOSE), "yaml"),
        ("template.yaml", safe_yaml.load_one(TEMPLATE, loader=CfnLoader, fast=CfnFastLoader), "yaml"),
        ("azuredeploy.json", arm, "json"),
    ]
    rng = random.Random(20261124)
    cases = []
    for rel, doc, kind in bases:
        for i in range(int(__import__("os").environ.get("AIP_FUZZ_N", "60"))):
            mutated = mutate(doc, rng)
            if kind == "json":
                text = json.dumps(mutated)
            elif kind == "yaml-multi":
                text = yaml.safe_dump_all(mutated if isinstance(mutated, list) else [mutated])
            else:
                text = yaml.safe_dump(mutated)
            cases.append(pytest.param(rel, text, id=f"{rel}-{i}"))
    return cases


@pytest.mark.parametrize(("rel", "text"), _type_confusion_cases())
def test_type_confusion_never_crashes(tmp_path, rel, text):
    try:
        scan_text(tmp_path, rel, text)
    except MalformedInput:
        pass
