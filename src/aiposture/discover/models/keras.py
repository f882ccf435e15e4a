"""Keras model configs — `config.json` in a `.keras` zip, the `model_config`
attribute of a legacy HDF5 `.h5` (read with h5py, attributes only, no weights).

Every object in the config names a class (and in Keras 3 a module). A Lambda layer
carries Python bytecode; any module outside Keras is imported on load; a function
reference (`class_name: function`) is a global like a pickle's, classified by the
same policy."""

from __future__ import annotations

import io
import json
from typing import Any

from aiposture.discover.models.policy import Verdict
from aiposture.discover.models.results import Blob, ScanContext
from aiposture.discover.models.stream import ByteReader

KERAS_MODULES = ("keras", "tf_keras", "tensorflow.keras", "keras_hub", "keras_nlp", "keras_cv")
_CODE_CLASSES = frozenset({"Lambda", "__lambda__", "TFOpLambda", "SlicingOpLambda"})
MAX_OBJECTS = 200_000


def looks_like_config(value: Any) -> bool:
    return isinstance(value, dict) and "class_name" in value and "config" in value


def check_config(ctx: ScanContext, config: Any, where: str) -> None:
    """Walk a parsed Keras config (iteratively: configs can be deep)."""
    stack = [config]
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_OBJECTS:
            ctx.issue(
                "AIP-MODEL-007",
                f"Keras config has more than {MAX_OBJECTS} objects; rest not checked",
                where=where,
            )
            return
        if isinstance(node, dict):
            if "class_name" in node:
                _check_object(ctx, node, where)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _is_keras_module(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in KERAS_MODULES)


def _check_object(ctx: ScanContext, node: dict[str, Any], where: str) -> None:
    cls = node.get("class_name")
    if not isinstance(cls, str):
        return
    module = node.get("module")
    registered = node.get("registered_name")
    name = node.get("config", {}).get("name") if isinstance(node.get("config"), dict) else None
    label = f"{cls} layer {name!r}" if name else cls
    if cls in _CODE_CLASSES or (
        isinstance(node.get("config"), dict) and node["config"].get("function_type") == "lambda"
    ):
        ctx.issue("AIP-MODEL-013", f"{label} carries Python code", where=where)
        return
    if cls == "function" and isinstance(module, str) and isinstance(node.get("config"), str):
        _check_global(ctx, module, node["config"], f"function {module}.{node['config']}", where)
        return
    if isinstance(module, str) and module and not _is_keras_module(module):
        _check_global(ctx, module, cls, f"object {module}.{cls}", where)
        return
    if isinstance(registered, str) and registered and registered != cls and not registered.startswith("keras"):
        ctx.issue("AIP-MODEL-014", f"custom object {registered!r} ({cls})", where=where)
    elif module is None and ">" in cls:
        ctx.issue("AIP-MODEL-014", f"custom object {cls!r}", where=where)


def _check_global(ctx: ScanContext, module: str, name: str, label: str, where: str) -> None:
    klass = ctx.policy.classify(module, name)
    if klass.verdict == Verdict.UNSAFE:
        ctx.issue("AIP-MODEL-001", f"Keras config references {label}: {klass.reason}", where=where)
    elif klass.verdict != Verdict.SAFE:
        ctx.issue("AIP-MODEL-014", f"Keras config references {label}", where=where)


def parse_json(ctx: ScanContext, data: bytes, where: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        ctx.issue("AIP-MODEL-006", f"config is not valid JSON ({exc})", where=where)
        return None


def scan_keras_json(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> bool:
    """A JSON member (config.json of a .keras zip). Returns False when it is not a Keras config."""
    limit = ctx.options.max_config
    data = reader.read(limit + 1)
    if len(data) > limit:
        ctx.issue("AIP-MODEL-007", f"config larger than {limit} bytes not checked", where=where)
        return True
    try:
        config = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    if not looks_like_config(config):
        return False
    check_config(ctx, config, where)
    return True


def scan_hdf5(ctx: ScanContext, blob: Blob, reader: ByteReader, where: str) -> None:
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a runtime dependency
        ctx.fail("h5py is not installed: HDF5 files cannot be scanned")
        ctx.issue("AIP-MODEL-021", "HDF5 not scanned: h5py is not installed", where=where)
        return
    source: Any = str(blob.path) if blob.path is not None else None
    if source is None:
        limit = ctx.options.archive.max_member_in_memory
        if blob.size > limit:
            ctx.issue("AIP-MODEL-007", f"HDF5 member of {blob.size} bytes not opened (limit {limit})", where=where)
            return
        source = io.BytesIO(blob.open().read(limit))
    try:
        with h5py.File(source, "r") as f:
            for attr in ("model_config", "training_config"):
                if attr in f.attrs:
                    _check_attr(ctx, f.attrs[attr], f"{where} [{attr}]")
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        ctx.issue("AIP-MODEL-006", f"HDF5 file cannot be read: {exc}", where=where)


def _check_attr(ctx: ScanContext, value: Any, where: str) -> None:
    if hasattr(value, "tobytes") and not isinstance(value, bytes | str):
        value = (
            value.tobytes() if getattr(value, "dtype", None) is not None and value.dtype.kind in "SV" else str(value)
        )
    if isinstance(value, str):
        value = value.encode("utf-8", "replace")
    if not isinstance(value, bytes) or len(value) > ctx.options.max_config:
        return
    config = parse_json(ctx, value, where)
    if config is not None:
        check_config(ctx, config, where)
