"""The manifest scanner over every format: AI dependencies with version and line, the
unpinned-requirement finding, and malformed / hostile manifests refused cleanly."""

from __future__ import annotations

import json

import pytest
from source_fixtures import scan

from aiposture.discover.base import MalformedInput
from aiposture.discover.manifests import ManifestScanner

SCANNER = ManifestScanner()

REQUIREMENTS = """# AI stack
openai==1.40.0
langchain-openai>=0.1,<0.3 ; python_version >= "3.9"
Anthropic[bedrock]
requests==2.32.0
-r base.txt
--index-url https://pypi.org/simple
chromadb==0.5.3 \\
    --hash=sha256:abc
"""

PYPROJECT = """[project]
name = "contoso"
dependencies = [
  "openai>=1.30",
  "qdrant-client==1.9.0",
]
[project.optional-dependencies]
local = ["transformers[torch]~=4.44", "vllm"]
[dependency-groups]
dev = ["pytest", "dspy==2.5.0"]
[tool.poetry.dependencies]
python = "^3.11"
llama-index = {version = "^0.11", extras = ["all"]}
crewai = "0.51.0"
[tool.poetry.group.ml.dependencies]
semantic-kernel = "*"
"""

POETRY_LOCK = """[[package]]
name = "mistralai"
version = "1.0.3"
description = "x"

[[package]]
name = "six"
version = "1.16.0"
"""

PIPFILE = """[packages]
cohere = "==5.9.0"
litellm = "*"
[dev-packages]
pymilvus = {version = ">=2.4"}
"""

PIPFILE_LOCK = json.dumps(
    {
        "_meta": {},
        "default": {"google-genai": {"version": "==0.3.0"}},
        "develop": {"pinecone-client": {"version": "==5.0.1"}},
    },
    indent=2,
)

PACKAGE_JSON = json.dumps(
    {
        "name": "web",
        "dependencies": {"openai": "^4.56.0", "ai": "3.3.0", "react": "18"},
        "devDependencies": {"@langchain/openai": "~0.2.0"},
        "peerDependencies": {"@modelcontextprotocol/sdk": ">=1"},
    },
    indent=2,
)

LOCK_V3 = json.dumps(
    {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "web"},
            "node_modules/openai": {"version": "4.56.0"},
            "node_modules/@ai-sdk/anthropic": {"version": "0.0.50"},
            "node_modules/x/node_modules/chromadb": {"version": "1.8.1"},
            "node_modules/react": {"version": "18.0.0"},
        },
    },
    indent=2,
)

LOCK_V1 = json.dumps(
    {
        "lockfileVersion": 1,
        "dependencies": {
            "cohere-ai": {"version": "7.10.0", "dependencies": {"groq-sdk": {"version": "0.5.0"}}},
            "left-pad": {"version": "1.0.0"},
        },
    },
    indent=2,
)

GO_MOD = """module github.com/contoso/bot

go 1.22

require github.com/sashabaranov/go-openai v1.29.0

require (
\tgithub.com/gin-gonic/gin v1.10.0
\tgithub.com/qdrant/go-client v1.11.0 // indirect
\tgoogle.golang.org/genai v0.4.0
)
"""

POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <properties>
    <langchain4j.version>0.35.0</langchain4j.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>dev.langchain4j</groupId>
      <artifactId>langchain4j-azure-open-ai</artifactId>
      <version>${langchain4j.version}</version>
    </dependency>
    <dependency>
      <groupId>com.google.guava</groupId>
      <artifactId>guava</artifactId>
      <version>33.0.0-jre</version>
    </dependency>
    <dependency>
      <groupId>software.amazon.awssdk</groupId>
      <artifactId>bedrockruntime</artifactId>
      <version>2.28.0</version>
    </dependency>
  </dependencies>
</project>
"""

CSPROJ = """<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup>
    <PackageReference Include="Azure.AI.OpenAI" Version="2.1.0" />
    <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
    <PackageReference Include="Microsoft.SemanticKernel">
      <Version>1.21.1</Version>
    </PackageReference>
  </ItemGroup>
</Project>
"""

PACKAGES_CONFIG = """<?xml version="1.0" encoding="utf-8"?>
<packages>
  <package id="OpenAI" version="2.0.0" targetFramework="net48" />
</packages>
"""

YARN_CLASSIC = """# yarn lockfile v1


"@ai-sdk/openai@^1.0.0", "@ai-sdk/openai@^1.0.1":
  version "1.0.5"
  resolved "https://registry.yarnpkg.com/@ai-sdk/openai/-/openai-1.0.5.tgz"

left-pad@^1.3.0:
  version "1.3.0"

openai@^4.56.0:
  version "4.56.0"
"""

YARN_BERRY = """__metadata:
  version: 8

"@anthropic-ai/sdk@npm:^0.32.1":
  version: 0.32.1
  resolution: "@anthropic-ai/sdk@npm:0.32.1"
"""

PNPM = """lockfileVersion: '9.0'

importers:
  .:
    dependencies:
      openai:
        specifier: ^4.56.0
        version: 4.56.0

packages:

  '@langchain/core@0.3.13(openai@4.56.0)':
    resolution: {integrity: sha512-x}

  openai@4.56.0:
    resolution: {integrity: sha512-y}

  /chromadb@1.8.1:
    resolution: {integrity: sha512-z}
"""

GRADLE = """dependencies {
    implementation("org.springframework.ai:spring-ai-openai-spring-boot-starter:1.0.0-M2")
    implementation 'com.squareup.okhttp3:okhttp:4.12.0'
}
"""


@pytest.mark.parametrize(
    ("rel", "text", "expected"),
    [
        (
            "requirements.txt",
            REQUIREMENTS,
            {
                "openai": ("1.40.0", 2),
                "langchain-openai": (">=0.1,<0.3", 3),
                "anthropic": (None, 4),
                "chromadb": ("0.5.3", 8),
            },
        ),
        ("requirements/prod.txt", "pymilvus==2.4.4\n", {"pymilvus": ("2.4.4", 1)}),
        (
            "pyproject.toml",
            PYPROJECT,
            {
                "openai": (">=1.30", 4),
                "qdrant-client": ("1.9.0", 5),
                "transformers": ("~=4.44", 8),
                "vllm": (None, 8),
                "dspy": ("2.5.0", 10),
                "llama-index": ("^0.11", 13),
                "crewai": ("0.51.0", 14),
                "semantic-kernel": (None, 16),
            },
        ),
        ("poetry.lock", POETRY_LOCK, {"mistralai": ("1.0.3", 2)}),
        ("Pipfile", PIPFILE, {"cohere": ("5.9.0", 2), "litellm": (None, 3), "pymilvus": (">=2.4", 5)}),
        ("Pipfile.lock", PIPFILE_LOCK, {"google-genai": ("0.3.0", 4), "pinecone-client": ("5.0.1", 9)}),
        (
            "web/package.json",
            PACKAGE_JSON,
            {
                "openai": ("^4.56.0", 4),
                "ai": ("3.3.0", 5),
                "@langchain/openai": ("~0.2.0", 9),
                "@modelcontextprotocol/sdk": (">=1", 12),
            },
        ),
        (
            "package-lock.json",
            LOCK_V3,
            {"openai": ("4.56.0", 7), "@ai-sdk/anthropic": ("0.0.50", 10), "chromadb": ("1.8.1", 13)},
        ),
        ("package-lock.json", LOCK_V1, {"cohere-ai": ("7.10.0", 4), "groq-sdk": ("0.5.0", 7)}),
        ("yarn.lock", YARN_CLASSIC, {"@ai-sdk/openai": ("1.0.5", 4), "openai": ("4.56.0", 11)}),
        ("yarn.lock", YARN_BERRY, {"@anthropic-ai/sdk": ("0.32.1", 4)}),
        ("pnpm-lock.yaml", PNPM, {"@langchain/core": ("0.3.13", 12), "openai": ("4.56.0", 15),
                                  "chromadb": ("1.8.1", 18)}),
        (
            "go.mod",
            GO_MOD,
            {
                "github.com/sashabaranov/go-openai": ("v1.29.0", 5),
                "github.com/qdrant/go-client": ("v1.11.0", 9),
                "google.golang.org/genai": ("v0.4.0", 10),
            },
        ),
        (
            "pom.xml",
            POM,
            {
                "dev.langchain4j:langchain4j-azure-open-ai": ("0.35.0", 9),
                "software.amazon.awssdk:bedrockruntime": ("2.28.0", 19),
            },
        ),
        (
            "src/App.csproj",
            CSPROJ,
            {"Azure.AI.OpenAI": ("2.1.0", 3), "Microsoft.SemanticKernel": ("1.21.1", 5)},
        ),
        ("packages.config", PACKAGES_CONFIG, {"OpenAI": ("2.0.0", 3)}),
        (
            "build.gradle.kts",
            GRADLE,
            {"org.springframework.ai:spring-ai-openai-spring-boot-starter": ("1.0.0-M2", 2)},
        ),
    ],
)
def test_formats(tmp_path, rel: str, text: str, expected: dict) -> None:
    out = scan(SCANNER, tmp_path, rel, text)
    got = {a.name: (a.version, a.locations[0].line) for a in out.assets}
    assert got == expected
    for asset in out.assets:
        assert asset.locations[0].path == rel
        assert asset.properties["package"] == asset.name
        assert asset.properties["ecosystem"] in {"pypi", "npm", "maven", "nuget", "golang"}


def test_unpinned_requirements_are_findings(tmp_path) -> None:
    out = scan(SCANNER, tmp_path, "requirements.txt", REQUIREMENTS)
    assert sorted((f.rule, f.location.line) for f in out.findings) == [
        ("AIP-CODE-001", 3),
        ("AIP-CODE-001", 4),
    ]
    assert all(f.frameworks["owasp-llm-2025"] == ["LLM03"] for f in out.findings)


def test_lock_files_and_ranges_elsewhere_are_not_findings(tmp_path) -> None:
    assert scan(SCANNER, tmp_path, "package.json", PACKAGE_JSON).findings == []
    assert scan(SCANNER, tmp_path, "pyproject.toml", PYPROJECT).findings == []


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<project><dependencies><dependency><groupId>&lol3;</groupId></dependency></dependencies></project>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Project><ItemGroup><PackageReference Include="&xxe;" Version="1"/></ItemGroup></Project>
"""


@pytest.mark.parametrize(
    ("rel", "content", "message"),
    [
        ("package.json", '{"dependencies": {"openai": ', "invalid JSON"),
        ("package.json", "[1, 2]", "not a JSON object"),
        ("package-lock.json", "{" * 100_000, "JSON"),
        ("Pipfile.lock", "nope", "invalid JSON"),
        ("pyproject.toml", "[project\ndependencies = [", "invalid TOML"),
        ("poetry.lock", "[[package]\nname=", "invalid TOML"),
        ("Pipfile", "= 1", "invalid TOML"),
        ("pom.xml", "<project><dependencies>", "invalid XML"),
        ("pom.xml", BOMB, "DOCTYPE"),
        ("App.csproj", XXE, "DOCTYPE"),
        ("App.csproj", "<Project><PackageReference Include='&undefined;'/></Project>", "invalid XML"),
        ("go.mod", "just words\n", "go.mod"),
        ("pyproject.toml", "a = " + "[" * 100_000, "TOML"),
        ("Pipfile.lock", "[" * 100_000, "JSON"),
    ],
)
def test_malformed_manifests_raise(tmp_path, rel: str, content: str, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        scan(SCANNER, tmp_path, rel, content)


@pytest.mark.parametrize(
    ("rel", "content"),
    [
        ("package.json", b"\x00\x01\x02{}"),
        ("requirements.txt", "openai==1.0 # caf\xe9\n".encode("latin-1")),
    ],
)
def test_binary_and_non_utf8_are_skipped(tmp_path, rel: str, content: bytes) -> None:
    out = scan(SCANNER, tmp_path, rel, content)
    assert out.assets == [] and [s.path for s in out.skipped] == [rel]


def test_huge_requirement_lines(tmp_path) -> None:
    text = "openai==1.0.0 " + "x" * 1_000_000 + "\n" + "a" * 500_000 + "\ncohere==5.0\n"
    out = scan(SCANNER, tmp_path, "requirements.txt", text)
    assert {a.name: a.locations[0].line for a in out.assets} == {"openai": 1, "cohere": 3}


@pytest.mark.parametrize(
    ("rel", "wanted"),
    [
        ("requirements.txt", True),
        ("requirements-dev.txt", True),
        ("requirements/base.in", True),
        ("pyproject.toml", True),
        ("Pipfile", True),
        ("package.json", True),
        ("go.mod", True),
        ("pom.xml", True),
        ("x/Api.csproj", True),
        ("Directory.Packages.props", True),
        ("build.gradle", True),
        ("notes.txt", False),
        ("setup.py", False),
        ("go.sum", False),
        ("yarn.lock", True),
        ("pnpm-lock.yaml", True),
        ("Cargo.lock", False),
    ],
)
def test_wants(rel: str, wanted: bool) -> None:
    name = rel.rsplit("/", 1)[-1]
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    assert SCANNER.wants(rel, name, suffix) is wanted


def test_deep_xml_is_parsed_without_recursion(tmp_path) -> None:
    deep = "<a>" * 50_000 + "</a>" * 50_000
    text = (f"<project><x>{deep}</x><dependencies><dependency><groupId>com.openai</groupId>"
            "<artifactId>openai-java</artifactId><version>0.8.0</version></dependency></dependencies></project>")
    out = scan(SCANNER, tmp_path, "pom.xml", text)
    assert [(a.name, a.version) for a in out.assets] == [("com.openai:openai-java", "0.8.0")]
