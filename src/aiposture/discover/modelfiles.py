"""Model files in the estate: every weight file becomes a `model-file` asset with its
size, format and SHA-256, and is put through the static model scanner
(`aiposture.discover.models`), whose unsafe/suspicious verdicts become findings.
Files are streamed, never loaded: a 10 GB checkpoint costs a hash pass, not 10 GB."""

from __future__ import annotations

import hashlib

from aiposture.discover.base import ScanOutput, SourceFile
from aiposture.model import Asset

MODEL_SUFFIXES = frozenset({
    ".safetensors", ".gguf", ".ggml", ".onnx", ".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle",
    ".joblib", ".h5", ".hdf5", ".keras", ".npy", ".npz", ".tflite", ".mlmodel", ".pb", ".msgpack",
})
# `.bin` and `.pb` are also used for much that is not a model; only these names count.
_AMBIGUOUS = {".bin": ("pytorch_model", "model", "adapter_model", "weights", "ggml"), ".pb": ("saved_model",)}
_FORMAT_BY_SUFFIX = {
    ".safetensors": "safetensors", ".gguf": "gguf", ".ggml": "ggml", ".onnx": "onnx", ".pt": "pytorch",
    ".pth": "pytorch", ".bin": "pytorch", ".ckpt": "pytorch", ".pkl": "pickle", ".pickle": "pickle",
    ".joblib": "joblib", ".h5": "hdf5", ".hdf5": "hdf5", ".keras": "keras", ".npy": "numpy",
    ".npz": "numpy", ".tflite": "tflite", ".mlmodel": "coreml", ".pb": "tensorflow", ".msgpack": "flax",
}
CHUNK = 1 << 20


def _hash_file(path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class ModelFileScanner:
    name = "model-files"
    streams = True  # sees files of any size: it reads them in chunks

    def wants(self, rel: str, name: str, suffix: str) -> bool:
        if suffix not in MODEL_SUFFIXES:
            return False
        prefixes = _AMBIGUOUS.get(suffix)
        return prefixes is None or name.lower().startswith(prefixes)

    def scan(self, source: SourceFile, out: ScanOutput) -> None:
        try:
            from aiposture.discover import models as model_scanner
        except ImportError:  # the static scanner is an optional part of a partial install
            model_scanner = None
        asset_scope = source.rel
        if model_scanner is None:
            sha256, size = _hash_file(source.path)
            fmt, verdict, findings_of = _FORMAT_BY_SUFFIX.get(source.suffix, "unknown"), None, None
        else:
            report = model_scanner.scan_file(source.path)
            sha256, size, fmt, verdict = report.sha256, report.size, report.format, report.verdict
            findings_of = report
        asset = Asset.make(
            "model-file", source.name, asset_scope, locations=[source.loc()],
            properties={"format": fmt, "sha256": sha256, "size": size,
                        **({"verdict": verdict} if verdict else {})},
        )
        out.asset(asset)
        if findings_of is not None:
            for finding in model_scanner.report_to_findings(findings_of, asset.id):
                out.finding(finding)
