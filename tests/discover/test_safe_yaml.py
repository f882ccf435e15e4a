"""The bounded YAML loader: same data as PyYAML's safe loader on ordinary text,
refusal of alias bombs and deep nesting, no Python object construction."""

from __future__ import annotations

import pytest
import yaml

from aiposture.discover import safe_yaml


@pytest.mark.parametrize("text", [
    "a: 1\nb: [x, y]\nc: {d: true}\n",
    "---\na: 1\n---\nb: 2\n",
    "base: &b {x: 1}\nuse: *b\n",
    "",
    "just a string",
])
def test_matches_pyyaml_safe_load(text):
    expected = list(yaml.safe_load_all(text))
    assert safe_yaml.load_all(text) == expected
    assert safe_yaml.load_all(text, fast=None) == expected


@pytest.mark.parametrize(("text", "match"), [
    ("a: &a [1, 2]\n" + "".join(f"k{i}: *a\n" for i in range(safe_yaml.MAX_ALIASES + 1)), "aliases"),
    ("x: " + "[" * 300_000 + "]" * 300_000, "nested"),  # would crash libyaml's composer
    ("x: " + "{a: " * 3_000 + "1" + "}" * 3_000, "nested"),
])
def test_refuses_expensive_documents(text, match):
    with pytest.raises(safe_yaml.YamlRefused, match=match):
        safe_yaml.load_all(text)


def test_depth_bound_on_the_bounded_path():
    """The C loader only gets text with < 2,000 flow brackets (safe for libyaml);
    the Python loader enforces MAX_DEPTH itself."""
    text = "x: " + "[" * (safe_yaml.MAX_DEPTH + 5) + "]" * (safe_yaml.MAX_DEPTH + 5)
    with pytest.raises(safe_yaml.YamlRefused, match="nested"):
        safe_yaml.load_all(text, fast=None)


@pytest.mark.parametrize("text", [
    "!!python/object/apply:os.system ['true']",
    "x: !!python/name:os.system",
    "x: !!python/object:collections.OrderedDict {}",
])
def test_never_constructs_python_objects(text):
    with pytest.raises(yaml.constructor.ConstructorError):
        safe_yaml.load_all(text)
