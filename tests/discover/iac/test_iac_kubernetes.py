"""Kubernetes manifests, Helm values and docker-compose: self-hosted model servers and
vector databases by image, exposure through Services/Ingress, served models, pinning."""

from __future__ import annotations

import pytest
from iac_fixtures import scan_text

from aiposture.discover.iac.workloads import classify, parse_image

MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm
  namespace: ai
spec:
  selector:
    matchLabels: {app: llm}
  template:
    metadata:
      labels: {app: llm, tier: gpu}
    spec:
      initContainers:
        - name: fetch
          image: busybox:1.36
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
          command: ["vllm", "serve", "Qwen/Qwen2.5-7B-Instruct"]
          args: ["--api-key", "$(VLLM_API_KEY)", "--max-model-len=8192"]
          env:
            - name: VLLM_API_KEY
              valueFrom: {secretKeyRef: {name: vllm, key: key}}
            - name: HF_HOME
              value: /cache
---
apiVersion: v1
kind: Service
metadata: {name: llm, namespace: ai}
spec:
  type: NodePort
  selector: {app: llm}
  ports: [{port: 8000}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: embed, namespace: ai}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: embed}}
        spec:
          containers:
            - name: tei
              image: ghcr.io/huggingface/text-embeddings-inference:cpu-1.5
              args: ["--model-id=BAAI/bge-small-en-v1.5"]
---
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: weaviate}
    spec:
      template:
        metadata: {labels: {app: weaviate}}
        spec:
          containers:
            - {name: weaviate, image: "cr.weaviate.io/semitechnologies/weaviate@sha256:abcdef"}
  - apiVersion: v1
    kind: Service
    metadata: {name: weaviate}
    spec: {type: LoadBalancer, selector: {app: weaviate}}
---
apiVersion: route.openshift.io/v1
kind: Route
metadata: {name: ollama}
spec: {to: {kind: Service, name: ollama}}
---
apiVersion: v1
kind: Service
metadata: {name: ollama}
spec: {selector: {app: ollama}}
---
apiVersion: v1
kind: Pod
metadata: {name: ollama, labels: {app: ollama}}
spec:
  containers:
    - {name: ollama, image: ollama/ollama}
"""


def _assets(out):
    return {a.name: a for a in out.assets if a.kind != "model"}


def test_multi_document_manifests(tmp_path):
    out = scan_text(tmp_path, "k8s/ai.yaml", MANIFESTS)
    assets = _assets(out)
    assert set(assets) == {"llm", "embed", "weaviate", "ollama"}  # busybox is not AI
    llm = assets["llm"]
    assert llm.kind == "cloud-resource" and llm.properties["server"] == "vllm"
    assert llm.properties["exposure"] == "Service/llm (NodePort)" and llm.properties["public"] is True
    assert llm.properties["models"] == ["Qwen/Qwen2.5-7B-Instruct"]
    assert llm.properties["env"] == ["HF_HOME", "VLLM_API_KEY"]
    assert llm.locations[0].line == 18 and llm.properties["namespace"] == "ai"
    embed = assets["embed"]
    assert embed.properties["resource_type"] == "CronJob" and embed.properties["public"] is False
    assert embed.properties["models"] == ["BAAI/bge-small-en-v1.5"]
    weaviate = assets["weaviate"]
    assert weaviate.kind == "vector-store" and weaviate.properties["image_tag"] == "@sha256:abcdef"
    assert assets["ollama"].properties["exposure"] == "Route/ollama -> Service/ollama"
    models = {a.name: a for a in out.assets if a.kind == "model"}
    assert set(models) == {"Qwen/Qwen2.5-7B-Instruct", "BAAI/bge-small-en-v1.5"}
    assert models["Qwen/Qwen2.5-7B-Instruct"].id in llm.properties["depends_on"]
    found = sorted((f.rule, f.evidence.split(" ")[0]) for f in out.findings)
    assert found == [("AIP-IAC-006", "Deployment/ai/llm/vllm"), ("AIP-IAC-006", "Pod/ollama/ollama"),
                     ("AIP-IAC-007", "StatefulSet/weaviate/weaviate"), ("AIP-IAC-008", "Pod/ollama/ollama:")]


def test_service_in_other_namespace_or_selector_does_not_expose(tmp_path):
    text = MANIFESTS.replace("metadata: {name: llm, namespace: ai}", "metadata: {name: llm, namespace: web}")
    out = scan_text(tmp_path, "k8s/ai.yaml", text)
    assert _assets(out)["llm"].properties["public"] is False


def test_helm_chart_templates_are_skipped_with_a_note(tmp_path):
    text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
    out = scan_text(tmp_path, "chart/templates/deploy.yaml", text)
    assert out.assets == [] and "Helm chart template" in out.skipped[0].reason


VALUES = """\
global:
  imageRegistry: ""
inference:
  replicas: 2
  image:
    registry: ghcr.io
    repository: huggingface/text-generation-inference
    tag: "2.4.0"
  model: meta-llama/Llama-3.2-3B-Instruct
  ingress:
    enabled: true
vectordb:
  image: qdrant/qdrant:latest
  service:
    type: ClusterIP
ui:
  image:
    repository: ghcr.io/open-webui/open-webui
    tag: main
service:
  type: LoadBalancer
"""


def test_helm_values(tmp_path):
    out = scan_text(tmp_path, "chart/values.yaml", VALUES)
    assets = _assets(out)
    assert set(assets) == {"inference", "vectordb"}
    tgi = assets["inference"]
    assert tgi.properties["image"] == "ghcr.io/huggingface/text-generation-inference:2.4.0"
    assert tgi.properties["exposure"] == "ingress.enabled" and tgi.properties["iac"] == "helm"
    assert tgi.properties["models"] == ["meta-llama/Llama-3.2-3B-Instruct"] and tgi.locations[0].line == 7
    qdrant = assets["vectordb"]
    assert qdrant.kind == "vector-store" and qdrant.properties["public"] is False  # nearest service wins
    assert sorted(f.rule for f in out.findings) == ["AIP-IAC-006", "AIP-IAC-008"]


COMPOSE = """\
services:
  ollama:
    image: ollama/ollama:0.4.1
    ports: ["11434:11434"]
    environment:
      - OLLAMA_HOST=0.0.0.0
  llamacpp:
    image: ghcr.io/ggml-org/llama.cpp:server
    command: ["-m", "/models/qwen.gguf", "--port", "8080"]
    ports: ["127.0.0.1:8080:8080"]
  db:
    image: pgvector/pgvector:pg16
    environment:
      POSTGRES_PASSWORD: example-password
  app:
    build: .
"""


def test_docker_compose(tmp_path):
    out = scan_text(tmp_path, "docker-compose.yml", COMPOSE)
    assets = _assets(out)
    assert set(assets) == {"ollama", "llamacpp", "db"}
    assert assets["ollama"].properties["published_ports"] == ["11434:11434"]
    assert "published_ports" not in assets["llamacpp"].properties
    assert assets["llamacpp"].properties["models"] == ["/models/qwen.gguf"]  # a path: no model asset
    assert not [a for a in out.assets if a.kind == "model"]
    assert assets["db"].kind == "vector-store" and assets["db"].properties["env"] == ["POSTGRES_PASSWORD"]
    assert "example-password" not in out.model_dump_json() if hasattr(out, "model_dump_json") else True
    assert all("example-password" not in str(a.properties) for a in out.assets)
    assert out.findings == []


@pytest.mark.parametrize(("image", "server"), [
    ("vllm/vllm-openai:v0.6.3", "vllm"),
    ("docker.io/vllm/vllm-openai", "vllm"),
    ("ghcr.io/huggingface/text-generation-inference:2.4.0", "tgi"),
    ("nvcr.io/nvidia/tritonserver:24.08-trtllm-python-py3", "triton"),
    ("nvcr.io/nim/meta/llama-3.1-8b-instruct:1.1.2", "nim"),
    ("localai/localai:latest-aio-cpu", "localai"),
    ("quay.io/go-skynet/local-ai:v2.20.1", "localai"),
    ("ghcr.io/ggerganov/llama.cpp:server-cuda", "llama.cpp"),
    ("anyscale/ray-llm:latest", "ray-llm"),
    ("localhost:5000/qdrant/qdrant:v1.12.1", "qdrant"),
    ("milvusdb/milvus:v2.4.13", "milvus"),
    ("chromadb/chroma", "chroma"),
    ("ankane/pgvector", "pgvector"),
    ("postgres:16", None),
    ("nginx", None),
    ("myorg/vllm-openai-proxy:1", None),
])
def test_image_classification(image, server):
    spec = classify(image)
    assert (spec.server if spec else None) == server


@pytest.mark.parametrize(("image", "repo", "tag", "digest"), [
    ("nginx", "nginx", None, None),
    ("library/nginx:1.27", "nginx", "1.27", None),
    ("registry:5000/a/b:1", "a/b", "1", None),
    ("a/b@sha256:00", "a/b", None, "sha256:00"),
    ("GHCR.IO/Org/Img:Tag", "org/img", "tag", None),
])
def test_parse_image(image, repo, tag, digest):
    ref = parse_image(image)
    assert (ref.repository, ref.tag, ref.digest) == (repo, tag, digest)


KSERVE = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llama3
  namespace: models
spec:
  predictor:
    model:
      modelFormat: {name: huggingface}
      storageUri: hf://meta-llama/Llama-3.1-8B-Instruct
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: fraud
  labels: {networking.kserve.io/visibility: cluster-local}
spec:
  predictor:
    sklearn:
      storageUri: gs://contoso-models/fraud/v3
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: custom}
spec:
  predictor:
    containers:
      - name: kserve-container
        image: vllm/vllm-openai:v0.6.3
        args: ["--model", "Qwen/Qwen2.5-1.5B-Instruct"]
"""


def test_kserve_inference_services(tmp_path):
    out = scan_text(tmp_path, "k8s/kserve.yaml", KSERVE)
    assets = _assets(out)
    assert set(assets) == {"llama3", "fraud", "custom"}
    llama = assets["llama3"]
    assert llama.properties["server"] == "kserve" and llama.properties["public"] is True
    assert llama.locations[0].line == 2
    assert assets["fraud"].properties["public"] is False
    assert assets["fraud"].properties["models"] == ["gs://contoso-models/fraud/v3"]
    assert assets["custom"].properties["server"] == "vllm"  # the container image decides
    models = {a.name for a in out.assets if a.kind == "model"}
    # a bucket URI is not a model id; the custom container's --model is
    assert models == {"meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct"}
    assert sorted((f.rule, f.evidence.split(" ")[0]) for f in out.findings) == [
        ("AIP-IAC-006", "InferenceService/custom"), ("AIP-IAC-006", "InferenceService/models/llama3")]
