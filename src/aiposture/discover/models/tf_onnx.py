"""TensorFlow SavedModel (`saved_model.pb`) and ONNX models, read with the protobuf
walker. SavedModel: every NodeDef's op, in graphs and function libraries, against
`data/models/graph_ops.yaml`; Keras Lambda layers in its object-graph metadata.
ONNX: node domains, and external-data locations that leave the model's folder."""

from __future__ import annotations

import posixpath
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from aiposture.discover.models.protobuf import WireError, message, read_string, walk
from aiposture.discover.models.results import Blob, ScanContext
from aiposture.discover.models.stream import ByteReader
from aiposture.model import Severity

_STRICT = ConfigDict(extra="forbid", frozen=True)


class GraphOps(BaseModel):
    model_config = _STRICT
    tensorflow_ops: dict[str, Severity] = Field(min_length=1)
    onnx_standard_domains: list[str] = Field(min_length=1)
    onnx_runtime_domains: list[str] = Field(default_factory=list)


@cache
def graph_ops() -> GraphOps:
    text = resources.files("aiposture.data").joinpath("models", "graph_ops.yaml").read_text("utf-8")
    return GraphOps.model_validate(yaml.safe_load(text))


# --- SavedModel -------------------------------------------------------------------------

_LAMBDA_MARKERS = (b'"class_name": "Lambda"', b'"class_name":"Lambda"')


def scan_savedmodel(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
    ops: dict[str, int] = {}
    lambdas: list[int] = []

    def node_def(r: ByteReader, end: int) -> None:
        def op(r2: ByteReader, end2: int) -> None:
            name = read_string(r2, end2, 256)
            ops[name] = ops.get(name, 0) + 1

        walk(r, end, {2: op})

    def metadata(r: ByteReader, end: int) -> None:
        data = r.read(min(end - r.offset, ctx.options.max_config))
        if any(marker in data for marker in _LAMBDA_MARKERS):
            lambdas.append(r.offset)

    function_def = message({3: node_def})
    graph_def = message({1: node_def, 2: message({1: function_def})})
    saved_object = message({4: message({3: metadata})})  # user_object.metadata
    object_graph = message({1: saved_object})
    meta_graph = message({2: graph_def, 7: object_graph})
    try:
        walk(reader, blob.size, {2: meta_graph})
    except WireError as exc:
        ctx.issue("AIP-MODEL-006", f"SavedModel protobuf: {exc}", reader.offset, where=where)
    rules = graph_ops().tensorflow_ops
    for name, count in sorted(ops.items()):
        severity = rules.get(name)
        if severity is not None:
            ctx.issue("AIP-MODEL-015", f"operation {name} ({count}x)", severity=severity, where=where)
    if lambdas:
        ctx.issue("AIP-MODEL-013", "Keras metadata holds a Lambda layer", lambdas[0], where=where)
    if blob.path is not None and blob.path.name == "saved_model.pb":
        _scan_keras_metadata(ctx, blob, where)


def _scan_keras_metadata(ctx: ScanContext, blob: Blob, where: str) -> None:
    assert blob.path is not None
    side = blob.path.with_name("keras_metadata.pb")
    if not side.is_file() or side.stat().st_size > ctx.options.max_config:
        return
    data = side.read_bytes()
    if any(marker in data for marker in _LAMBDA_MARKERS):
        ctx.issue("AIP-MODEL-013", "keras_metadata.pb holds a Lambda layer", where=f"{where} (keras_metadata.pb)")


# --- ONNX -------------------------------------------------------------------------------


class _OnnxState:
    def __init__(self) -> None:
        self.domains: dict[str, set[str]] = {}
        self.locations: list[str] = []
        self.pending_location: list[str] = []


def scan_onnx(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
    state = _OnnxState()
    handlers = _onnx_model_handlers(state)
    try:
        walk(reader, blob.size, handlers)
    except WireError as exc:
        ctx.issue("AIP-MODEL-006", f"ONNX protobuf: {exc}", reader.offset, where=where)
    known = set(graph_ops().onnx_standard_domains) | set(graph_ops().onnx_runtime_domains)
    for domain, op_types in sorted(state.domains.items()):
        if domain not in known:
            ctx.issue("AIP-MODEL-016", f"domain {domain!r} (ops: {', '.join(sorted(op_types)[:5])})", where=where)
    for location in state.locations:
        if _escapes_folder(location):
            ctx.issue("AIP-MODEL-017", f"external data location {location!r}", where=where)
        elif blob.path is not None and _link_escapes(blob, location):
            ctx.issue("AIP-MODEL-017", f"external data {location!r} is a link leaving the model folder", where=where)


def _escapes_folder(location: str) -> bool:
    norm = location.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":") or norm.startswith("~"):
        return True
    return ".." in norm.split("/") or posixpath.normpath(norm).startswith("..")


def _link_escapes(blob: Blob, location: str) -> bool:
    assert blob.path is not None
    folder = blob.path.parent.resolve()
    target = blob.path.parent / location
    try:
        resolved = target.resolve()
    except OSError:
        return False
    return target.exists() and folder not in resolved.parents and resolved != folder


def _onnx_model_handlers(state: _OnnxState) -> dict[int, Any]:
    def string_into(sink: list[str]) -> Any:
        def handler(r: ByteReader, end: int) -> None:
            sink.append(read_string(r, end))

        return handler

    def external_entry(r: ByteReader, end: int) -> None:
        key: list[str] = []
        value: list[str] = []
        walk(r, end, {1: string_into(key), 2: string_into(value)})
        if key and key[0] == "location" and value:
            state.locations.append(value[0])

    tensor = message({13: external_entry})
    sparse_tensor = message({1: tensor, 2: tensor})
    graph_handlers: dict[int, Any] = {}

    def node(r: ByteReader, end: int) -> None:
        op_type: list[str] = []
        domain: list[str] = []
        walk(r, end, {4: string_into(op_type), 7: string_into(domain), 5: attribute})
        state.domains.setdefault(domain[0] if domain else "", set()).add(op_type[0] if op_type else "?")

    def graph(r: ByteReader, end: int) -> None:
        walk(r, end, graph_handlers)

    attribute = message({5: tensor, 6: graph, 10: tensor, 11: graph, 22: sparse_tensor, 23: sparse_tensor})
    graph_handlers.update({1: node, 5: tensor, 15: sparse_tensor})
    function = message({7: node})
    training = message({1: graph, 2: graph})
    return {7: graph, 25: function, 20: training}
