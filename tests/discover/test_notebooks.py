"""The notebook scanner: code cells only, joined-cell line numbers, cell numbers in
evidence, pip installs with versions, and malformed notebooks refused."""

from __future__ import annotations

import json

import pytest
from source_fixtures import OPENAI_KEY, assert_no_clear_secret, by_name, names, scan

from aiposture.discover.base import MalformedInput
from aiposture.discover.notebooks import NotebookScanner

SCANNER = NotebookScanner()


def notebook(*cells: tuple[str, str], version: int = 4) -> str:
    built = [
        {
            "cell_type": kind,
            "metadata": {},
            "source": source.splitlines(keepends=True),
            **(
                {"outputs": [{"output_type": "stream", "text": ["import anthropic\n"]}], "execution_count": 1}
                if kind == "code"
                else {}
            ),
        }
        for kind, source in cells
    ]
    if version == 3:
        for cell in built:
            cell["input"] = cell.pop("source")
        return json.dumps({"nbformat": 3, "worksheets": [{"cells": built}]})
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": built})


NB = notebook(
    ("markdown", "# RAG demo\nimport cohere  (markdown is not code)\n"),
    ("code", "%pip install -q openai==1.51.0 'chromadb>=0.5' requests\n"),
    ("code", "import openai\nimport chromadb\n"),
    ("markdown", "Now call the model"),
    (
        "code",
        f"client = openai.OpenAI(api_key='{OPENAI_KEY}')\n"
        "client.chat.completions.create(model='gpt-4o-mini', messages=[])",
    ),
)


@pytest.mark.parametrize("version", [4, 3])
def test_code_cells(tmp_path, version: int) -> None:
    text = (
        NB
        if version == 4
        else notebook(
            ("markdown", "# RAG demo\nimport cohere\n"),
            ("code", "%pip install -q openai==1.51.0 'chromadb>=0.5' requests\n"),
            ("code", "import openai\nimport chromadb\n"),
            ("markdown", "Now call the model"),
            (
                "code",
                f"client = openai.OpenAI(api_key='{OPENAI_KEY}')\n"
                "client.chat.completions.create(model='gpt-4o-mini', messages=[])",
            ),
            version=3,
        )
    )
    out = scan(SCANNER, tmp_path, "nb/rag.ipynb", text)
    # not cohere (a markdown cell), not anthropic (an output)
    assert names(out) == {"openai", "chromadb", "gpt-4o-mini"}
    assert {loc.line for a in out.assets if a.name == "openai" for loc in a.locations} == {1, 2}
    assert by_name(out, "gpt-4o-mini").locations[0].line == 5
    assert by_name(out, "gpt-4o-mini").provider == "openai"
    [secret] = out.findings
    assert secret.rule == "AIP-SECRET-001" and secret.location.line == 4
    assert "(cell 5, line 1)" in secret.evidence
    assert_no_clear_secret(out)


def test_pip_install_versions(tmp_path) -> None:
    out = scan(SCANNER, tmp_path, "a.ipynb", NB)
    versions = {a.name: a.version for a in out.assets if a.kind != "model"}
    assert versions["chromadb"] == ">=0.5"
    merged = [a for a in out.assets if a.name == "openai"]
    assert {a.version for a in merged} == {"1.51.0", None}
    assert len({a.id for a in merged}) == 1  # the engine merges them into one asset


def test_empty_notebook(tmp_path) -> None:
    out = scan(SCANNER, tmp_path, "e.ipynb", notebook(("markdown", "only prose")))
    assert out.assets == [] and out.findings == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"cells": [', "invalid JSON"),
        ("[]", "not a JSON object"),
        ('{"nbformat": 4}', "no cells"),
        ('{"cells": {"a": 1}}', "no cells"),
        ("[" * 200_000, "JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        ('{"cells": []}'.encode("utf-16"), "binary"),
    ],
)
def test_malformed_notebooks_raise(tmp_path, content: str | bytes, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        scan(SCANNER, tmp_path, "bad.ipynb", content)


def test_odd_cells_are_ignored(tmp_path) -> None:
    text = json.dumps(
        {
            "cells": [
                1,
                None,
                {"cell_type": "code", "source": 5},
                {"cell_type": "code", "source": ["import ", "dspy"]},
            ]
        }
    )
    out = scan(SCANNER, tmp_path, "odd.ipynb", text)
    assert names(out) == {"dspy"}
