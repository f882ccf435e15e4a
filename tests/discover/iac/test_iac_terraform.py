"""Terraform: real HCL through python-hcl2, variables, locals, count/for_each, modules,
cross-file private endpoints, relations and line numbers."""

from __future__ import annotations

import pytest
from iac_fixtures import scan_text

from aiposture.discover.base import MalformedInput

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN_ARN = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1"
MAIN_TF = """\
terraform {
  required_providers {
    azurerm = { source = "hashicorp/azurerm", version = "~> 4.0" }
  }
}

variable "public" {
  type    = bool
  default = true
}

variable "unknown_flag" {
  type = bool
}

locals {
  prefix = "contoso"
}

resource "azurerm_cognitive_account" "openai" {
  name                          = "${local.prefix}-openai"
  location                      = "westeurope"
  resource_group_name           = "rg"
  kind                          = "OpenAI"
  sku_name                      = "S0"
  public_network_access_enabled = var.public
  local_auth_enabled            = var.unknown_flag
  count                         = 2
  tags = {
    env = "prod"
  }
}

resource  "azurerm_cognitive_deployment"   "gpt4o" {
  name                 = "gpt-4o"
  cognitive_account_id = azurerm_cognitive_account.openai[0].id
  rai_policy_name      = "Microsoft.DefaultV2"
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-08-06"
  }
  sku {
    name = "Standard"
  }
}

resource "azurerm_storage_account" "logs" {
  name = "logs"
}

module "aoai" {
  source  = "Azure/openai/azurerm"
  version = "0.1.5"
}

module "network" {
  source = "./network"
}
"""


def _by_type(out):
    return {a.properties.get("resource_type"): a for a in out.assets if a.kind != "model"}


def test_resources_variables_modules_and_relations(tmp_path):
    out = scan_text(tmp_path, "infra/main.tf", MAIN_TF)
    assets = _by_type(out)
    assert set(assets) == {"azurerm_cognitive_account", "azurerm_cognitive_deployment", "module"}
    account = assets["azurerm_cognitive_account"]
    assert account.name == "azurerm_cognitive_account.openai"  # interpolated name stays unknown
    assert account.locations[0].line == 20
    assert account.properties["public"] is True  # var.public defaults to true
    assert account.properties["count"] == "2" and account.properties["kind"] == "OpenAI"
    assert account.provider == "azure" and account.properties["iac"] == "terraform"
    deployment = assets["azurerm_cognitive_deployment"]
    assert deployment.name == "gpt-4o" and deployment.locations[0].line == 34
    model = next(a for a in out.assets if a.kind == "model")
    assert (model.name, model.version, model.provider) == ("gpt-4o", "2024-08-06", "azure-openai")
    assert set(deployment.properties["depends_on"]) == {account.id, model.id}
    module = assets["module"]
    assert module.properties["module_source"] == "Azure/openai/azurerm"
    assert module.properties["module_version"] == "0.1.5"
    rules = sorted(f.rule for f in out.findings)
    # public (var default), no private endpoint, no CMK; local auth is unknown -> no finding
    assert rules == ["AIP-IAC-001", "AIP-IAC-003", "AIP-IAC-004"]


def test_variable_without_default_and_sibling_variables_file(tmp_path):
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "variables.tf").write_text('variable "public" {\n  default = false\n}\n')
    text = ('resource "azurerm_search_service" "s" {\n  name = "s"\n'
            '  public_network_access_enabled = var.public\n  local_authentication_enabled = var.nope\n}\n')
    out = scan_text(tmp_path, "mod/main.tf", text)
    search = out.assets[0]
    assert search.kind == "vector-store" and search.properties["public"] is False
    assert [f.rule for f in out.findings] == ["AIP-IAC-003"]


def test_private_endpoint_in_another_file_of_the_module(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "network.tf").write_text(
        'resource "azurerm_private_endpoint" "pe" {\n  name = "pe"\n  private_service_connection {\n'
        '    private_connection_resource_id = azurerm_cognitive_account.ai.id\n  }\n}\n')
    text = 'resource "azurerm_cognitive_account" "ai" {\n  name = "ai"\n  kind = "OpenAI"\n}\n'
    out = scan_text(tmp_path, "m/main.tf", text)
    assert "AIP-IAC-003" not in {f.rule for f in out.findings}
    other = scan_text(tmp_path, "m2/main.tf", text.replace('"ai"', '"aix"'))
    assert "AIP-IAC-003" in {f.rule for f in other.findings}


@pytest.mark.parametrize(("rtype", "body", "kind", "model"), [
    ("aws_bedrockagent_agent", f'agent_name = "helper"\n  foundation_model = "{HAIKU}"',
     "cloud-resource", HAIKU),
    ("aws_bedrock_provisioned_model_throughput",
     f'provisioned_model_name = "pt"\n  model_arn = "{TITAN_ARN}"',
     "cloud-resource", "amazon.titan-text-express-v1"),
    ("aws_sagemaker_endpoint", 'name = "ep"', "cloud-resource", None),
    ("aws_opensearchserverless_collection", 'name = "kb"\n  type = "VECTORSEARCH"', "vector-store", None),
    ("google_vertex_ai_index", 'display_name = "idx"', "vector-store", None),
    ("google_vertex_ai_featurestore", 'name = "fs"', "cloud-resource", None),
    ("google_workbench_instance", 'name = "wb"', "cloud-resource", None),
    ("azurerm_ai_foundry", 'name = "hub"', "cloud-resource", None),
])
def test_resource_catalog_table(tmp_path, rtype, body, kind, model):
    out = scan_text(tmp_path, "main.tf", f'resource "{rtype}" "r" {{\n  {body}\n}}\n')
    resource = next(a for a in out.assets if a.kind != "model")
    assert resource.kind == kind and resource.properties["resource_type"] == rtype
    models = [a.name for a in out.assets if a.kind == "model"]
    assert models == ([model] if model else [])


@pytest.mark.parametrize("text", [
    'resource "aws_opensearchserverless_collection" "c" {\n  name = "logs"\n  type = "TIMESERIES"\n}\n',
    'resource "azurerm_storage_account" "s" {\n  name = "s"\n}\n',
    'module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n',
    '# just a comment mentioning a resource\n',
])
def test_non_ai_resources_are_ignored(tmp_path, text):
    out = scan_text(tmp_path, "main.tf", text)
    assert out.assets == [] and out.findings == []


@pytest.mark.parametrize("text", [
    'resource "azurerm_cognitive_account" "x" {\n  name = "x"\n',  # unclosed block
    'resource "aws_sagemaker_model" "b" { name = }\n',
    'resource "google_vertex_ai_endpoint" "b" {\n  x = "unterminated\n}\n',
    'resource "azurerm_search_service" ' + "{" * 5000,
])
def test_malformed_hcl_is_reported_not_raised_raw(tmp_path, text):
    with pytest.raises(MalformedInput, match="malformed HCL"):
        scan_text(tmp_path, "bad.tf", text)


def test_terraform_without_ai_types_is_not_parsed(tmp_path):
    out = scan_text(tmp_path, "net.tf", 'resource "azurerm_virtual_network" "v" {\n  broken = \n')
    assert out.assets == [] and out.findings == []


def test_oversized_terraform_is_skipped_with_a_reason(tmp_path):
    block = 'resource "azurerm_cognitive_account" "a{i}" {{\n  name = "a{i}"\n}}\n'
    text = "".join(block.format(i=i) for i in range(300 * 1024 // len(block) + 1))
    with pytest.raises(MalformedInput, match="KiB is not parsed"):
        scan_text(tmp_path, "huge.tf", text)


def test_binary_tf_is_skipped(tmp_path):
    out = scan_text(tmp_path, "blob.tf", b"resource\x00\x01\x02\xff" * 10)
    assert out.assets == [] and [s.reason for s in out.skipped] == ["binary or non-UTF-8 file"]


HCL_SAMPLES = [
    MAIN_TF,
    '# comment\n// another\n/* block */\nlocals {\n  names = [for s in var.list : upper(s) if s != ""]\n'
    '  m = { for k, v in var.map : k => v... }\n}\n',
    'resource "x" "y" {\n  policy = <<-EOT\n    {"a": 1}\n  EOT\n'
    '  dynamic "rule" {\n    for_each = var.rules\n'
    '    content {\n      name = rule.value.name\n    }\n  }\n  v = var.a ? "b" : null\n  n = -1.5e3\n}\n',
]


@pytest.mark.parametrize("text", HCL_SAMPLES)
def test_fast_hcl_parser_matches_python_hcl2(text):
    import hcl2

    from aiposture.discover.iac.terraform import _hcl_parser

    assert _hcl_parser() is not hcl2.loads  # the position-free parser loaded
    assert _hcl_parser()(text) == hcl2.loads(text)


K8S_TF = """\
resource "kubernetes_deployment_v1" "vllm" {
  metadata {
    name = "vllm"
  }
  spec {
    template {
      metadata {
        labels = { app = "vllm" }
      }
      spec {
        container {
          name  = "server"
          image = "vllm/vllm-openai:v0.6.3"
          args  = ["--model", "mistralai/Mistral-7B-Instruct-v0.3"]
          env {
            name  = "HF_TOKEN"
            value = var.hf_token
          }
        }
        container {
          name  = "proxy"
          image = "nginx:1.27"
        }
      }
    }
  }
}

resource "kubernetes_service_v1" "vllm" {
  metadata { name = "vllm" }
  spec {
    type     = "LoadBalancer"
    selector = { app = "vllm" }
  }
}

resource "helm_release" "qdrant" {
  name       = "qdrant"
  repository = "https://qdrant.github.io/qdrant-helm"
  chart      = "qdrant"
  set {
    name  = "service.type"
    value = "NodePort"
  }
}

resource "helm_release" "ollama" {
  name    = "ollama"
  chart   = "otwld/ollama"
  version = "0.60.0"
}

resource "helm_release" "ingress" {
  name  = "ingress"
  chart = "ingress-nginx"
}
"""


def test_kubernetes_and_helm_providers(tmp_path):
    out = scan_text(tmp_path, "infra/k8s.tf", K8S_TF)
    assets = {a.name: a for a in out.assets if a.kind != "model"}
    assert set(assets) == {"vllm", "qdrant", "ollama"}
    vllm = assets["vllm"]
    assert vllm.properties["resource_type"] == "kubernetes_deployment_v1"
    assert vllm.properties["iac"] == "terraform"
    assert vllm.properties["exposure"] == "kubernetes_service_v1.vllm (LoadBalancer)"
    assert vllm.properties["models"] == ["mistralai/Mistral-7B-Instruct-v0.3"]
    assert assets["qdrant"].kind == "vector-store" and assets["qdrant"].properties["chart"] == "qdrant"
    assert assets["ollama"].properties["public"] is False
    assert assets["ollama"].properties["chart_version"] == "0.60.0"
    found = sorted((f.rule, f.evidence.split(" ")[0]) for f in out.findings)
    assert found == [("AIP-IAC-006", "kubernetes_deployment_v1.vllm/server"),
                     ("AIP-IAC-007", "helm_release.qdrant"), ("AIP-IAC-008", "helm_release.qdrant:")]
