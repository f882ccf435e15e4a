"""Masked tool arguments (what an approver and `policy test` show) reveal neither the
length nor the first characters of a secret: a fixed mask, or the secret's type."""

from __future__ import annotations

import json

import pytest

from aiposture.identity.secrets_mask import mask_arguments

MASK = "[masked]"
GITHUB = "ghp_R8d2kP0qLm3Nx7Vb1Zc9Yt4Ws6Qa5Ej8Hu2F"


@pytest.mark.parametrize(
    "arguments, expected",
    [
        ({"password": "hunter2"}, {"password": MASK}),
        ({"api_key": "sk-live-abcdefghijklmnop1234"}, {"api_key": MASK}),
        ({"token": "x" * 300}, {"token": MASK}),
        ({"credentials": {"user": "a", "pass": "b"}}, {"credentials": MASK}),
        ({"auth": ["a", "b"]}, {"auth": MASK}),
        ({"password": None, "amount": 120}, {"password": None, "amount": 120}),
        ({"body": f"use {GITHUB} now"}, {"body": "use [masked GITHUB_TOKEN] now"}),
        ({"to": ["x@y.z", {"note": f"GH={GITHUB}"}]}, {"to": ["x@y.z", {"note": "GH=[masked GITHUB_TOKEN]"}]}),
    ],
)
def test_masked_values(arguments, expected):
    assert mask_arguments(arguments) == expected


@pytest.mark.parametrize("secret", ["hunter2", "correct-horse-battery", "sk-live-" + "a" * 40])
def test_the_mask_is_the_same_whatever_the_secret(secret):
    masked = json.dumps(mask_arguments({"password": secret, "body": f"key {GITHUB}"}))
    assert masked == json.dumps({"password": MASK, "body": "key [masked GITHUB_TOKEN]"})
    assert secret[:3] not in masked and str(len(secret)) not in masked and "ghp_" not in masked
