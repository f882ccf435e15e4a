"""Generate a synthetic estate for the discovery benchmarks: N files of mixed source
(Python, JS/TS, Java, C#, Go), dependency manifests, IaC, notebooks, env files and
model files (about 1 GB in all at full size), with a ground truth of the AI assets
planted in it (`planted.json`), so tools can be scored on what they find.

    python benchmarks/gen_tree.py OUT_DIR [--files 50000] [--model-bytes 1073741824] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import struct
from pathlib import Path

# Planted names may carry aliases after "|" (a resource's address, a file's path): a
# tool finds the asset when it reports any of them.
# (SDK name as we report it, python import, pypi package)
PY_SDKS = [
    ("OpenAI", "openai", "openai"), ("Anthropic", "anthropic", "anthropic"),
    ("Google Gen AI", "google.genai", "google-genai"), ("Vertex AI", "vertexai", "google-cloud-aiplatform"),
    ("Mistral", "mistralai", "mistralai"), ("Cohere", "cohere", "cohere"),
    ("Hugging Face Transformers", "transformers", "transformers"),
    ("LangChain", "langchain", "langchain"), ("LlamaIndex", "llama_index", "llama-index"),
    ("Semantic Kernel", "semantic_kernel", "semantic-kernel"), ("AutoGen", "autogen", "pyautogen"),
    ("CrewAI", "crewai", "crewai"), ("DSPy", "dspy", "dspy"), ("Ollama", "ollama", "ollama"),
    ("vLLM", "vllm", "vllm"), ("LiteLLM", "litellm", "litellm"),
]
JS_SDKS = [("OpenAI", "openai"), ("Anthropic", "@anthropic-ai/sdk"), ("LangChain", "langchain"),
           ("Google Gen AI", "@google/genai"), ("AWS Bedrock", "@aws-sdk/client-bedrock-runtime"),
           ("Mistral", "@mistralai/mistralai"), ("Cohere", "cohere-ai")]
MODELS = [("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude-3-5-sonnet-20241022", "anthropic"),
          ("gemini-1.5-pro", "google"), ("mistral-large-latest", "mistral"), ("command-r-plus", "cohere")]
HF_MODELS = ["meta-llama/Llama-3.1-8B-Instruct", "mistralai/Mistral-7B-Instruct-v0.3",
             "sentence-transformers/all-MiniLM-L6-v2"]

PLAIN_PY = "def handler_{i}(event):\n    total = sum(x * {i} for x in event['items'])\n    return {{'total': total}}\n"
PLAIN_JS = "export function handler{i}(req) {{\n  return {{ ok: true, n: {i} * req.count }};\n}}\n"
PLAIN_JAVA = "package com.acme.svc{i};\n\npublic class Svc{i} {{\n  public int run(int x) {{ return x * {i}; }}\n}}\n"
PLAIN_CS = "namespace Acme.Svc{i};\n\npublic class Svc{i}\n{{\n    public int Run(int x) => x * {i};\n}}\n"
PLAIN_GO = "package svc{i}\n\nfunc Run(x int) int {{\n\treturn x * {i}\n}}\n"


def ai_python(i: int, rng: random.Random, planted: set) -> str:
    name, module, _ = PY_SDKS[i % len(PY_SDKS)]
    model, provider = MODELS[i % len(MODELS)]
    planted.add(("sdk", name))
    planted.add(("model", model))
    return (f"import {module}\n\n\ndef ask_{i}(prompt):\n"
            f"    client = {module}.Client()\n"
            f"    return client.chat(model=\"{model}\", messages=[{{\"role\": \"user\", \"content\": prompt}}])\n")


def ai_js(i: int, rng: random.Random, planted: set) -> str:
    name, package = JS_SDKS[i % len(JS_SDKS)]
    model, _ = MODELS[(i + 2) % len(MODELS)]
    planted.add(("sdk", name))
    planted.add(("model", model))
    return (f"import Client from \"{package}\";\n\nconst client = new Client();\n"
            f"export async function ask{i}(p) {{\n  return client.chat({{ model: \"{model}\", input: p }});\n}}\n")


def hf_python(i: int, rng: random.Random, planted: set) -> str:
    model = HF_MODELS[i % len(HF_MODELS)]
    planted.add(("sdk", "Hugging Face Transformers"))
    planted.add(("model", model))
    return f"from transformers import AutoModel\n\nmodel = AutoModel.from_pretrained(\"{model}\")\n"


def requirements(i: int, rng: random.Random, planted: set) -> str:
    picks = rng.sample(PY_SDKS, 3)
    for name, _, _ in picks:
        planted.add(("sdk", name))
    return "requests==2.32.3\n" + "".join(f"{pkg}=={rng.randint(0, 2)}.{rng.randint(0, 40)}.0\n"
                                          for _, _, pkg in picks)


def package_json(i: int, rng: random.Random, planted: set) -> str:
    picks = rng.sample(JS_SDKS, 2)
    for name, _ in picks:
        planted.add(("sdk", name))
    deps = {"express": "^4.21.0", **{pkg: f"^{rng.randint(1, 4)}.{rng.randint(0, 9)}.0" for _, pkg in picks}}
    return json.dumps({"name": f"svc-{i}", "version": "1.0.0", "dependencies": deps}, indent=2)


def terraform(i: int, rng: random.Random, planted: set) -> str:
    planted.add(("cloud-resource", f"acme-openai-{i}|oai{i}"))
    public = "true" if i % 2 else "false"
    return (f"resource \"azurerm_cognitive_account\" \"oai{i}\" {{\n  name = \"acme-openai-{i}\"\n"
            f"  location = \"westeurope\"\n  resource_group_name = \"rg\"\n  kind = \"OpenAI\"\n"
            f"  sku_name = \"S0\"\n  public_network_access_enabled = {public}\n}}\n")


def k8s(i: int, rng: random.Random, planted: set) -> str:
    planted.add(("cloud-resource", f"vllm-{i}|vllm/vllm-openai:v0.6.{i % 9}"))
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: vllm-{i}\nspec:\n  template:\n"
            f"    spec:\n      containers:\n        - name: vllm\n          image: vllm/vllm-openai:v0.6.{i % 9}\n")


def notebook(i: int, rng: random.Random, planted: set) -> str:
    planted.add(("sdk", "LangChain"))
    cell = {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
            "source": ["from langchain_openai import ChatOpenAI\n", "llm = ChatOpenAI(model=\"gpt-4o\")\n"]}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def env_file(i: int, rng: random.Random, planted: set) -> str:
    planted.add(("endpoint", "https://api.openai.com/v1"))
    return f"OPENAI_BASE_URL=https://api.openai.com/v1\nLOG_LEVEL=info\nWORKERS={i % 8}\n"


def mcp(i: int, rng: random.Random, planted: set) -> str:
    planted.add(("mcp-server", f"tools-{i}"))
    return json.dumps({"mcpServers": {f"tools-{i}": {"command": "npx", "args": ["-y", "@acme/mcp-tools"]}}})


# (relative path template, generator, weight per 1,000 files)
KINDS = [
    ("svc{d}/handlers/h{i}.py", lambda i, r, p: PLAIN_PY.format(i=i), 250),
    ("web{d}/src/h{i}.ts", lambda i, r, p: PLAIN_JS.format(i=i), 170),
    ("java{d}/src/main/java/Svc{i}.java", lambda i, r, p: PLAIN_JAVA.format(i=i), 110),
    ("dotnet{d}/Svc{i}.cs", lambda i, r, p: PLAIN_CS.format(i=i), 80),
    ("go{d}/svc{i}.go", lambda i, r, p: PLAIN_GO.format(i=i), 80),
    ("docs{d}/page{i}.md", lambda i, r, p: f"# Page {i}\n\nNothing about AI here.\n", 90),
    ("ai{d}/agents/ask{i}.py", ai_python, 80),
    ("ai{d}/web/ask{i}.ts", ai_js, 50),
    ("ai{d}/hf/load{i}.py", hf_python, 15),
    ("ai{d}/py{i}/requirements.txt", requirements, 15),
    ("ai{d}/js{i}/package.json", package_json, 15),
    ("infra{d}/oai{i}.tf", terraform, 10),
    ("k8s{d}/vllm{i}.yaml", k8s, 10),
    ("nb{d}/eval{i}.ipynb", notebook, 10),
    ("cfg{d}/svc{i}.env", env_file, 10),
    ("tools{d}/mcp{i}/.vscode/mcp.json", mcp, 5),
]


def safetensors_header(n_bytes: int) -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [n_bytes // 4], "data_offsets": [0, n_bytes // 4 * 4]}})
    raw = header.encode() + b" " * (-len(header) % 8)
    return struct.pack("<Q", len(raw)) + raw


def write_models(root: Path, total: int, count: int, planted: set, rng: random.Random) -> None:
    per_file = total // count
    block = rng.randbytes(1 << 20)
    for k in range(count):
        path = root / "models" / f"m{k}" / f"model{k}.safetensors"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = per_file - 1024
        with open(path, "wb") as fh:
            fh.write(safetensors_header(body))
            remaining = body // 4 * 4
            while remaining > 0:
                chunk = block[: min(len(block), remaining)]
                fh.write(chunk)
                remaining -= len(chunk)
        planted.add(("model-file", f"{path.name}|{path.relative_to(root).as_posix()}"))


def generate(root: Path, files: int, model_bytes: int, seed: int, model_count: int = 20) -> dict:
    rng = random.Random(seed)
    planted: set[tuple[str, str]] = set()
    weights = [w for _, _, w in KINDS]
    written = 0
    model_count = max(1, min(model_count, files // 100)) if model_bytes else 0
    for i in range(files - model_count):
        template, make, _ = rng.choices(KINDS, weights)[0]
        rel = template.format(d=i % 97, i=i)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make(i, rng, planted), encoding="utf-8")
        written += 1
    if model_count:
        write_models(root, model_bytes, model_count, planted, rng)
        written += model_count
    truth = {"files": written, "planted": sorted([k, n] for k, n in planted)}
    (root.parent / f"{root.name}.planted.json").write_text(json.dumps(truth, indent=1))
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--model-bytes", type=int, default=1 << 30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if any(os.scandir(args.out)):
        raise SystemExit(f"{args.out} is not empty")
    truth = generate(args.out, args.files, args.model_bytes, args.seed)
    print(f"wrote {truth['files']} files, {len(truth['planted'])} planted assets to {args.out}")


if __name__ == "__main__":
    main()
