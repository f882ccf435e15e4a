"""CloudFormation: short-form intrinsic tags read as data by a safe loader, JSON
templates, parameter defaults, relations; unsafe tags refused."""

from __future__ import annotations

import json

import pytest
import yaml
from iac_fixtures import scan_text

from aiposture.discover import safe_yaml
from aiposture.discover.base import MalformedInput
from aiposture.discover.iac.cloudformation import CfnFastLoader, CfnLoader

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Model:
    Type: String
    Default: anthropic.claude-3-5-sonnet-20240620-v1:0
  Env:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
  Guard:
    Type: AWS::Bedrock::Guardrail
    Properties:
      Name: !Sub "${AWS::StackName}-guard"
      BlockedInputMessaging: no
      BlockedOutputsMessaging: no
  Agent:
    Type: AWS::Bedrock::Agent
    Condition: IsProd
    Properties:
      AgentName: !Join ["-", [support, !Ref Env]]
      FoundationModel: !Ref Model
      AgentResourceRoleArn: !GetAtt Role.Arn
      GuardrailConfiguration:
        GuardrailIdentifier: !GetAtt [Guard, GuardrailId]
        GuardrailVersion: !If [IsProd, "1", !Ref "AWS::NoValue"]
      CustomerEncryptionKeyArn: !Select [0, !Split [",", !ImportValue keys]]
  Notebook:
    Type: AWS::SageMaker::NotebookInstance
    Properties:
      InstanceType: ml.t3.medium
      DirectInternetAccess: !FindInMap [Net, !Ref "AWS::Region", Internet]
      RoleArn: !GetAtt Role.Arn
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    DependsOn: Notebook
    Properties:
      EndpointName: chat
      EndpointConfigName: !GetAtt Config.EndpointConfigName
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants: []
"""


def test_short_tags_become_long_form_data():
    doc = safe_yaml.load_one(TEMPLATE, loader=CfnLoader, fast=CfnFastLoader)
    agent = doc["Resources"]["Agent"]["Properties"]
    assert agent["FoundationModel"] == {"Ref": "Model"}
    assert agent["AgentResourceRoleArn"] == {"Fn::GetAtt": ["Role", "Arn"]}
    assert agent["AgentName"] == {"Fn::Join": ["-", ["support", {"Ref": "Env"}]]}
    assert agent["GuardrailConfiguration"]["GuardrailIdentifier"] == {"Fn::GetAtt": ["Guard", "GuardrailId"]}
    assert doc["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Env"}, "prod"]}
    both = safe_yaml.load_one(TEMPLATE, loader=CfnLoader, fast=None)
    assert both == doc  # the pure-Python and C loaders agree


def test_template_assets_relations_and_findings(tmp_path):
    out = scan_text(tmp_path, "stack/template.yaml", TEMPLATE)
    by_addr = {a.properties.get("address"): a for a in out.assets if a.kind != "model"}
    assert set(by_addr) == {"Guard", "Agent", "Notebook", "Endpoint", "Config"}
    agent = by_addr["Agent"]
    model = next(a for a in out.assets if a.kind == "model")
    assert model.name == "anthropic.claude-3-5-sonnet-20240620-v1:0" and model.provider == "aws-bedrock"
    assert agent.name == "Agent" and agent.locations[0].line == 22
    assert agent.properties["condition"] == "IsProd"
    assert set(agent.properties["depends_on"]) == {by_addr["Guard"].id, model.id}
    assert set(by_addr["Endpoint"].properties["depends_on"]) == {by_addr["Notebook"].id, by_addr["Config"].id}
    rules = sorted((f.rule, f.evidence.split(":")[0]) for f in out.findings)
    # Agent: guardrail + CMK set (unknown values count as set); Notebook: internet access unknown
    assert rules == [("AIP-IAC-004", "Config"), ("AIP-IAC-004", "Notebook")]


def test_json_template(tmp_path):
    props = {"DirectInternetAccess": "Enabled", "KmsKeyId": {"Ref": "Key"}}
    doc = {"Resources": {"Nb": {"Type": "AWS::SageMaker::NotebookInstance", "Properties": props}}}
    text = json.dumps(doc, indent=2)
    out = scan_text(tmp_path, "nb.template", text)
    assert [f.rule for f in out.findings] == ["AIP-IAC-001"]
    assert out.assets[0].properties["public"] is True and out.assets[0].locations[0].line == 3


@pytest.mark.parametrize("payload", [
    "Resources:\n  X: !!python/object/apply:os.system ['echo pwned']\nAWSTemplateFormatVersion: x\n",
    "AWSTemplateFormatVersion: x\nResources: !!python/name:os.system\n",
])
def test_python_tags_are_refused(tmp_path, payload):
    with pytest.raises(MalformedInput):
        scan_text(tmp_path, "evil.yaml", payload)


def test_loader_class_is_safe():
    assert issubclass(CfnLoader, yaml.SafeLoader) and issubclass(CfnFastLoader, yaml.CSafeLoader)


@pytest.mark.parametrize("text", [
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A: [unclosed\n",
    '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {',
])
def test_malformed_cfn(tmp_path, text):
    suffix = "json" if text.startswith("{") else "yaml"
    with pytest.raises(MalformedInput):
        scan_text(tmp_path, f"bad.{suffix}", text)


def test_yaml_without_cfn_markers_is_left_alone(tmp_path):
    out = scan_text(tmp_path, ".github/workflows/ci.yaml", "on: push\njobs:\n  t:\n    runs-on: ubuntu\n")
    assert out.assets == [] and out.findings == [] and out.skipped == []


def test_serverless_framework_resources(tmp_path):
    text = ("service: rag\nprovider:\n  name: aws\nresources:\n  Resources:\n    Kb:\n"
            "      Type: AWS::Bedrock::KnowledgeBase\n      Properties:\n        Name: docs\n"
            "        KnowledgeBaseConfiguration:\n          VectorKnowledgeBaseConfiguration:\n"
            "            EmbeddingModelArn: !Sub arn:aws:bedrock:${AWS::Region}::foundation-model/x\n")
    out = scan_text(tmp_path, "serverless.yml", text)
    assert [(a.kind, a.name) for a in out.assets] == [("cloud-resource", "docs")]
    assert out.assets[0].locations[0].line == 6
