"""ARM JSON and Bicep: nesting, parameters, symbolic names, loops, parents,
comments, interpolation, and refusal of malformed or hostile text."""

from __future__ import annotations

import json

import pytest
from iac_fixtures import scan_text

from aiposture.discover.base import MalformedInput
from aiposture.discover.iac.bicep import tokenize

ACCOUNT_ID = "[resourceId('Microsoft.CognitiveServices/accounts', parameters('accountName'))]"
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def _arm(resources, **extra) -> str:
    doc = {"$schema": SCHEMA, "contentVersion": "1.0.0.0", **extra, "resources": resources}
    return json.dumps(doc, indent=2)


def _line(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_arm_nested_resources_parameters_and_private_endpoint(tmp_path):
    text = _arm(
        [
            {"type": "Microsoft.CognitiveServices/accounts", "apiVersion": "2024-10-01",
             "name": "[parameters('accountName')]", "kind": "AIServices", "sku": {"name": "S0"},
             "properties": {"publicNetworkAccess": "[parameters('access')]", "disableLocalAuth": True},
             "resources": [
                 {"type": "deployments", "apiVersion": "2024-10-01", "name": "gpt-4o-mini",
                  "dependsOn": [ACCOUNT_ID],
                  "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini",
                                           "version": "2024-07-18"}}},
             ]},
            {"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2023-04-01", "name": "pe",
             "properties": {"privateLinkServiceConnections": [{"name": "c", "properties": {
                 "privateLinkServiceId":
                     "[resourceId('Microsoft.CognitiveServices/accounts', parameters('accountName'))]"}}]}},
        ],
        parameters={"accountName": {"type": "string", "defaultValue": "contoso-ais"},
                    "access": {"type": "string", "defaultValue": "Enabled"}},
    )
    out = scan_text(tmp_path, "arm/azuredeploy.json", text)
    by_type = {a.properties.get("resource_type"): a for a in out.assets}
    account = by_type["Microsoft.CognitiveServices/accounts"]
    deployment = by_type["Microsoft.CognitiveServices/accounts/deployments"]
    model = next(a for a in out.assets if a.kind == "model")
    assert account.name == "contoso-ais" and account.properties["kind"] == "AIServices"
    assert account.properties["public"] is True and account.properties["iac"] == "arm"
    assert account.locations[0].line == _line(text, '"Microsoft.CognitiveServices/accounts"')
    assert deployment.locations[0].line == _line(text, '"deployments"')
    assert set(deployment.properties["depends_on"]) == {account.id, model.id}
    rules = sorted(f.rule for f in out.findings)
    assert rules == ["AIP-IAC-001", "AIP-IAC-004", "AIP-IAC-005"]  # PE present, local auth off


def test_arm_language_version_2_symbolic_resources(tmp_path):
    text = _arm({"search": {"type": "Microsoft.Search/searchServices", "apiVersion": "2023-11-01",
                            "name": "srch", "properties": {"publicNetworkAccess": "disabled",
                                                           "disableLocalAuth": True}},
                 "pe": {"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2023-04-01",
                        "name": "pe", "dependsOn": ["search"], "properties": {}}},
                languageVersion="2.0")
    out = scan_text(tmp_path, "main.json", text)
    assert [a.kind for a in out.assets] == ["vector-store"]
    assert out.findings == []


def test_arm_copy_loop(tmp_path):
    text = _arm([{"type": "Microsoft.Search/searchServices", "apiVersion": "2023-11-01",
                  "name": "[concat('s', copyIndex())]", "copy": {"name": "loop", "count": 3},
                  "properties": {"publicNetworkAccess": "Disabled", "disableLocalAuth": True}}])
    out = scan_text(tmp_path, "t.json", text)
    assert out.assets[0].properties["loop"] is True
    assert out.assets[0].name == "Microsoft.Search/searchServices/concat('s', copyIndex())"
    assert [f.rule for f in out.findings] == ["AIP-IAC-003"]


def test_arm_unknown_expression_is_not_a_finding(tmp_path):
    text = _arm([{"type": "Microsoft.CognitiveServices/accounts", "apiVersion": "2024-10-01", "name": "a",
                  "properties": {"publicNetworkAccess": "[if(parameters('p'), 'Enabled', 'Disabled')]"}}])
    out = scan_text(tmp_path, "t.json", text)
    assert "AIP-IAC-001" not in {f.rule for f in out.findings}


@pytest.mark.parametrize("text", [
    '{"$schema": "deploymentTemplate", "resources": [',
    "[1, 2] deploymentTemplate resources",
    '{"$schema": "deploymentTemplate", "resources": ' + "[" * 100000 + "]" * 100000 + "}",
])
def test_arm_malformed(tmp_path, text):
    with pytest.raises(MalformedInput):
        scan_text(tmp_path, "bad.json", text)


def test_json_that_is_not_a_template_is_left_alone(tmp_path):
    out = scan_text(tmp_path, "package.json", json.dumps({"name": "x", "dependencies": {"openai": "^4"}}))
    assert out.assets == [] and out.findings == [] and out.skipped == []


BICEP = """\
// Contoso AI platform
@description('Prefix for names')
param prefix string = 'contoso'
param location string = resourceGroup().location
@allowed(['Enabled', 'Disabled'])
param access string = 'Disabled'
var tags = {
  env: 'prod'
}
/* a block comment with resource 'Fake/type@1' = { inside */
resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: '${prefix}-oai'
  location: location
  kind: 'OpenAI'
  sku: { name: 'S0' }
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    publicNetworkAccess: access
    disableLocalAuth: false
    customSubDomainName: toLower('${prefix}-oai')
    description: '''
multi-line text with 'quotes' and } braces
'''
    networkAcls: {
      defaultAction: 'Deny'
      ipRules: [
        { value: '1.2.3.4' }
      ]
    }
  }

  resource chat 'deployments' = {
    name: 'chat'
    properties: {
      model: { format: 'OpenAI', name: 'gpt-4o', version: '2024-08-06' }
      raiPolicyName: 'strict'
    }
  }
}

resource existingKv 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: 'kv'
}

resource embeddings 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = [for i in range(0, 2): {
  parent: account
  name: 'embed-${i}'
  properties: {
    model: { format: 'OpenAI', name: 'text-embedding-3-small', version: '1' }
  }
}]

resource ws 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = if (prefix == 'contoso') {
  name: 'hub'
  kind: 'Hub'
  properties: {
    publicNetworkAccess: 'Disabled'
    encryption: { keyVaultProperties: { keyIdentifier: 'https://kv/keys/k' } }
  }
}

module net './network.bicep' = {
  name: 'net'
  params: { target: account.id }
}

output endpoint string = account.properties.endpoint
"""


def test_bicep_declarations(tmp_path):
    out = scan_text(tmp_path, "infra/main.bicep", BICEP)
    by_addr = {a.properties.get("address"): a for a in out.assets if a.kind != "model"}
    assert set(by_addr) == {"account", "chat", "embeddings", "ws"}
    account = by_addr["account"]
    assert account.name == "contoso-oai" and account.locations[0].line == 11
    assert account.properties["public"] is False and account.properties["iac"] == "bicep"
    chat = by_addr["chat"]
    assert chat.properties["resource_type"] == "Microsoft.CognitiveServices/accounts/deployments"
    assert chat.locations[0].line == 35 and account.id in chat.properties["depends_on"]
    embeddings = by_addr["embeddings"]
    assert embeddings.properties["loop"] is True and account.id in embeddings.properties["depends_on"]
    assert {a.name for a in out.assets if a.kind == "model"} == {"gpt-4o", "text-embedding-3-small"}
    found = sorted((f.rule, f.location.line) for f in out.findings)
    assert found == [("AIP-IAC-002", 11), ("AIP-IAC-003", 11), ("AIP-IAC-003", 56), ("AIP-IAC-004", 11),
                     ("AIP-IAC-005", 48)]


def test_bicep_multiline_ternary_and_conditional_loop(tmp_path):
    text = ("param isProd bool = true\n"
            "resource acct 'Microsoft.CognitiveServices/accounts@2024-10-01' = {\n"
            "  name: 'a'\n  properties: {\n    publicNetworkAccess: isProd\n      ? 'Disabled'\n"
            "      : 'Enabled'\n    disableLocalAuth: true\n  }\n}\n"
            "resource deps 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = "
            "[for d in ['x', 'y']: if (isProd) {\n  parent: acct\n  name: d\n  properties: {}\n}]\n")
    out = scan_text(tmp_path, "t.bicep", text)
    kinds = sorted(a.properties.get("resource_type", "") for a in out.assets)
    assert kinds == ["Microsoft.CognitiveServices/accounts",
                     "Microsoft.CognitiveServices/accounts/deployments"]
    account = next(a for a in out.assets if a.properties.get("address") == "acct")
    assert account.properties["public"] is False  # the ternary is unknown: no verdict either way
    assert "AIP-IAC-001" not in {f.rule for f in out.findings}


def test_bicep_tokenizer_strings_and_comments():
    toks = tokenize("x: 'it\\'s' // c\ny: '${a}-b'\n/* z */ n: 42")
    strings = [(t.text, t.interp) for t in toks if t.kind == "string"]
    assert strings == [("it's", False), ("${a}-b", True)]
    assert [t.text for t in toks if t.kind == "number"] == ["42"]


@pytest.mark.parametrize("text", [
    "resource a 'Microsoft.Search/searchServices@2023-11-01' = {\n  name: 'x'\n",  # unclosed
    "resource a 'Microsoft.Search/searchServices@2023-11-01' = {\n  name: 'x\n}\n",  # unterminated string
    "resource a 'Microsoft.Search/searchServices@2023-11-01' = {\n  name 'x'\n}\n",
    "resource a 'Microsoft.Search/searchServices@2023-11-01' = {\n  p: " + "{ a: " * 500 + " }" * 500 + "\n}",
    "/* never closed resource",
])
def test_bicep_malformed(tmp_path, text):
    with pytest.raises(MalformedInput, match="Bicep"):
        scan_text(tmp_path, "bad.bicep", text)
