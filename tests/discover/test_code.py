"""The code scanner over the five languages: SDK imports, call-revealed SDKs, hosted
models with provider, endpoints, hard-coded keys (masked), and hostile input."""

from __future__ import annotations

import pytest
from source_fixtures import ANTHROPIC_KEY, OPENAI_KEY, assert_no_clear_secret, by_name, names, scan

from aiposture.discover.code import CodeScanner

SCANNER = CodeScanner()

PYTHON = '''"""An AI app."""
import os, json
from openai import OpenAI
import anthropic as ant
from langchain_community.vectorstores import Chroma
from llama_index.core import VectorStoreIndex
import boto3

client = OpenAI()
client.chat.completions.create(model="gpt-4o", messages=[])
ant.Anthropic().messages.create(model="claude-3-5-sonnet-latest", max_tokens=5)
brt = boto3.client("bedrock-runtime")
brt.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0", messages=[])
'''

JAVASCRIPT = """import OpenAI from "openai";
import { generateText } from 'ai';
import { openai } from "@ai-sdk/openai";
const { Pinecone } = require("@pinecone-database/pinecone");
const r = await generateText({ model: openai("gpt-4o-mini"), prompt: "hi" });
const c = new OpenAI({ baseURL: "https://api.openai.com/v1" });
await c.chat.completions.create({ model: 'o3-mini', messages: [] });
"""

TYPESCRIPT = """import Anthropic from '@anthropic-ai/sdk';
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
const client: Anthropic = new Anthropic();
const cmd = new ConverseCommand({ modelId: "meta.llama3-70b-instruct-v1:0", messages: [] });
"""

JAVA = """package com.contoso;

import com.azure.ai.openai.OpenAIClient;
import com.azure.ai.openai.models.ChatCompletionsOptions;
import dev.langchain4j.model.openai.OpenAiChatModel;
import static org.springframework.ai.chat.ChatClient.builder;
import java.util.List;

class App {
  void run() {
    var model = OpenAiChatModel.builder().modelName("gpt-4o").build();
    client.getChatCompletions("contoso-gpt4", options);
  }
}
"""

CSHARP = """using System;
using Azure.AI.OpenAI;
using Microsoft.SemanticKernel;
global using SK = Microsoft.SemanticKernel.Connectors.OpenAI;

var builder = Kernel.CreateBuilder();
builder.AddAzureOpenAIChatCompletion(deploymentName: "contoso-chat",
    endpoint: "https://contoso.openai.azure.com/", apiKey: key);
"""

GO = """package main

import (
	"context"
	"fmt"

	"github.com/openai/openai-go"
	bedrock "github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/weaviate/weaviate-go-client/v4/weaviate"
)

import "github.com/tmc/langchaingo/llms"

func main() {
	_ = openai.ChatCompletionNewParams{Model: "gpt-4.1"}
	_ = &bedrock.ConverseInput{ModelId: aws.String("amazon.nova-pro-v1:0")}
}
"""


@pytest.mark.parametrize(
    ("rel", "text", "sdks", "models"),
    [
        (
            "app/main.py",
            PYTHON,
            {"openai", "anthropic", "langchain-community", "llama-index", "AWS Bedrock"},
            {
                "gpt-4o": "openai",
                "claude-3-5-sonnet-latest": "anthropic",
                "anthropic.claude-3-haiku-20240307-v1:0": "aws-bedrock",
            },
        ),
        (
            "web/chat.mjs",
            JAVASCRIPT,
            {"openai", "ai", "@ai-sdk/openai", "@pinecone-database/pinecone"},
            {"gpt-4o-mini": "openai", "o3-mini": "openai"},
        ),
        (
            "web/bot.ts",
            TYPESCRIPT,
            {"@anthropic-ai/sdk", "@aws-sdk/client-bedrock-runtime"},
            {"meta.llama3-70b-instruct-v1:0": "aws-bedrock"},
        ),
        (
            "svc/App.java",
            JAVA,
            {
                "com.azure:azure-ai-openai",
                "dev.langchain4j:langchain4j",
                "org.springframework.ai:spring-ai-core",
            },
            {"gpt-4o": "openai"},
        ),
        (
            "svc/Program.cs",
            CSHARP,
            {"Azure.AI.OpenAI", "Microsoft.SemanticKernel"},
            {"contoso-chat": "azure-openai"},
        ),
        (
            "cmd/main.go",
            GO,
            {
                "github.com/openai/openai-go",
                "github.com/aws/aws-sdk-go-v2/service/bedrockruntime",
                "github.com/weaviate/weaviate-go-client/v4",
                "github.com/tmc/langchaingo",
            },
            {"gpt-4.1": "openai", "amazon.nova-pro-v1:0": "aws-bedrock"},
        ),
    ],
)
def test_languages(tmp_path, rel: str, text: str, sdks: set[str], models: dict[str, str]) -> None:
    out = scan(SCANNER, tmp_path, rel, text)
    found = {a.name for a in out.assets if a.kind in ("sdk", "framework", "vector-store")}
    assert found == sdks
    assert {a.name: a.provider for a in out.assets if a.kind == "model"} == models
    for asset in out.assets:
        assert all(loc.path == rel and loc.line for loc in asset.locations)
        if asset.kind != "model" and asset.kind != "endpoint":
            assert {"ecosystem", "catalog_id", "catalog_name"} <= set(asset.properties)
            assert asset.properties.get("package", asset.name) == asset.name


def test_line_numbers_point_at_the_statement(tmp_path) -> None:
    out = scan(SCANNER, tmp_path, "a.py", PYTHON)
    assert by_name(out, "openai").locations[0].line == 3
    assert by_name(out, "anthropic").locations[0].line == 4
    assert by_name(out, "AWS Bedrock").locations[0].line == 12
    assert by_name(out, "gpt-4o").locations[0].line == 10


def test_call_revealed_sdk_keeps_the_general_package_apart(tmp_path) -> None:
    out = scan(SCANNER, tmp_path, "a.py", "import boto3\nboto3.client('bedrock-runtime')\n")
    bedrock = by_name(out, "AWS Bedrock")
    assert "package" not in bedrock.properties and bedrock.properties["ecosystem"] == "pypi"
    assert "boto3" not in names(out)  # boto3 alone is not an AI SDK


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('import ollama\nollama.chat(model="llama3.1", messages=[])\n', {"llama3.1": "ollama"}),
        ('import ollama\nollama.chat(model="qwen2.5:7b")\n', {"qwen2.5:7b": "ollama"}),
        (
            'from transformers import pipeline\np = pipeline("text-generation", model="gpt2")\n',
            {"gpt2": "huggingface"},
        ),
        (
            'from transformers import AutoModel\nAutoModel.from_pretrained("bert-base-uncased")\n',
            {"bert-base-uncased": "huggingface"},
        ),
        (
            'import sentence_transformers as st\nm = st.SentenceTransformer("all-MiniLM-L6-v2")',
            {"all-MiniLM-L6-v2": "huggingface"},
        ),
        (
            'import litellm\nlitellm.completion(model="anthropic/claude-3-opus-20240229")\n',
            {"anthropic/claude-3-opus-20240229": "anthropic"},
        ),
        (
            'import google.generativeai as genai\ngenai.GenerativeModel("gemini-1.5-pro")\n',
            {"gemini-1.5-pro": "google"},
        ),
        (
            'from mistralai import Mistral\nMistral().chat.complete(model="mistral-large-latest")\n',
            {"mistral-large-latest": "mistral"},
        ),
        ('import cohere\ncohere.Client().chat(model="command-r-plus")\n', {"command-r-plus": "cohere"}),
        (
            'from openai import AzureOpenAI\nAzureOpenAI(azure_deployment="prod-gpt4o")\n',
            {"prod-gpt4o": "azure-openai"},
        ),
        (
            'from langchain.chat_models import init_chat_model\ninit_chat_model("openai:gpt-4o")\n',
            {"openai:gpt-4o": "openai"},
        ),
        (
            'from vllm import LLM\nLLM(model="meta-llama/Llama-3.1-8B-Instruct")\n',
            {"meta-llama/Llama-3.1-8B-Instruct": "huggingface"},
        ),
    ],
)
def test_models_with_provider(tmp_path, text: str, expected: dict[str, str]) -> None:
    out = scan(SCANNER, tmp_path, "m.py", text)
    assert {a.name: a.provider for a in out.assets if a.kind == "model"} == expected


@pytest.mark.parametrize(
    "text",
    [
        'class Meta:\n    model = "User"\n',  # an ORM: no AI SDK in the file
        'import openai\nmodel_path = "models/llama.gguf"\n',
        'import openai\nmodel = "{{ model }}"\n',
        'import openai\nMODEL = os.environ["MODEL"]\n',
        'import openai, anthropic\nclient.create(model="my-model")\n',  # two providers: no guess
        'import openai\nif model == "gpt-4":\n    pass\n',
    ],
)
def test_no_false_models(tmp_path, text: str) -> None:
    out = scan(SCANNER, tmp_path, "x.py", text)
    assert names(out, "model") == set()


def test_azure_deployment_is_distinct_from_model_id(tmp_path) -> None:
    out = scan(
        SCANNER,
        tmp_path,
        "x.py",
        'from openai import AzureOpenAI\nAzureOpenAI(azure_deployment="gpt-4o")\nc.create(model="gpt-4o")\n',
    )
    models = [a for a in out.assets if a.kind == "model"]
    assert {(a.name, a.properties["reference"]) for a in models} == {
        ("gpt-4o", "deployment"),
        ("gpt-4o", "model-id"),
    }
    assert len({a.id for a in models}) == 2


def test_endpoints_and_hard_coded_keys(tmp_path) -> None:
    text = (
        f'import anthropic\nclient = anthropic.Anthropic(api_key="{ANTHROPIC_KEY}")\n'
        f'OPENAI = "{OPENAI_KEY}"\n'
        'URL = "https://user:pw@contoso.openai.azure.com/openai?api-key=abc"\n'
        'LOCAL = "http://localhost:11434"\nPLAIN = "http://api.mistral.ai/v1"\n'
    )
    out = scan(SCANNER, tmp_path, "keys.py", text)
    endpoints = {a.name: a.provider for a in out.assets if a.kind == "endpoint"}
    assert endpoints == {
        "https://contoso.openai.azure.com/openai": "azure-openai",
        "http://localhost:11434": "ollama",
        "http://api.mistral.ai/v1": "mistral",
    }
    rules = sorted((f.rule, f.location.line) for f in out.findings)
    assert rules == [("AIP-CODE-002", 6), ("AIP-SECRET-001", 2), ("AIP-SECRET-001", 3)]
    secret = next(f for f in out.findings if f.rule == "AIP-SECRET-001")
    assert secret.severity == "critical" and secret.frameworks["owasp-llm-2025"]
    assert_no_clear_secret(out)
    assert "pw@" not in str([a.model_dump() for a in out.assets]) and "api-key=abc" not in str(out.assets)


@pytest.mark.parametrize(
    ("rel", "content"),
    [
        ("bin.py", b"\x00\x01import openai\x00" * 100),
        ("latin.py", "import openai # caf\xe9\n".encode("latin-1")),
    ],
)
def test_binary_and_non_utf8_are_skipped(tmp_path, rel: str, content: bytes) -> None:
    out = scan(SCANNER, tmp_path, rel, content)
    assert out.assets == [] and [s.path for s in out.skipped] == [rel]


def test_huge_line_and_many_imports(tmp_path) -> None:
    text = "x = '" + "a" * 2_000_000 + "'\n" + "import openai\n" * 5000 + "require('openai')" * 1000
    out = scan(SCANNER, tmp_path, "big.py", text)
    assert names(out) == {"openai"}
    assert by_name(out, "openai").locations[0].line == 2


@pytest.mark.parametrize(
    ("rel", "wanted"),
    [
        ("a.py", True),
        ("a.tsx", True),
        ("a.cjs", True),
        ("A.kt", True),
        ("x.go", True),
        ("P.cs", True),
        ("dist/app.min.js", False),
        ("types/index.d.ts", False),
        ("a.txt", False),
        ("a.ipynb", False),
    ],
)
def test_wants(rel: str, wanted: bool) -> None:
    name = rel.rsplit("/", 1)[-1]
    suffix = "." + name.rsplit(".", 1)[-1].lower()
    assert SCANNER.wants(rel, name, suffix) is wanted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from google import genai\n", {"google-genai"}),
        ("from google import (\n    genai,\n    auth,\n)\n", {"google-genai"}),
        ("from google.cloud import aiplatform\n", {"google-cloud-aiplatform"}),
        ("import os, sys as system, openai\n", {"openai"}),
        ("from . import openai\nfrom .openai import x\n", set()),
        ("    import anthropic  # lazy\n", {"anthropic"}),
        ("# import openai\nx = 'import openai'\n", set()),
    ],
)
def test_python_import_shapes(tmp_path, text: str, expected: set[str]) -> None:
    out = scan(SCANNER, tmp_path, "i.py", text)
    assert names(out) == expected
