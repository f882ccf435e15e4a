"""Model files in the estate: every weight file becomes a `model-file` asset with its
size, format and SHA-256, after going through the static model scanner
(`aiposture.discover.models`), whose unsafe/suspicious verdicts become findings.
Files are streamed, never loaded: a 10 GB checkpoint costs a hash pass, not 10 GB."""

from __future__ import annotations

from aiposture.discover import models as model_scanner
from aiposture.discover.base import ScanOutput, SourceFile
from aiposture.model import Asset

# What discovery treats as a model file, by name (routing must not open files). `models
# scan` goes further and recognises models by content whatever they are called.
MODEL_SUFFIXES = frozenset({
    ".safetensors", ".gguf", ".ggml", ".onnx", ".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".dill",
    ".joblib", ".h5", ".hdf5", ".keras", ".npy", ".npz", ".tflite", ".mlmodel", ".pb",
})
# `.bin` and `.pb` also name much that is not a model; only these stems count as models.
_AMBIGUOUS = {".bin": ("pytorch_model", "model", "adapter_model", "weights", "ggml", "consolidated"),
              ".pb": ("saved_model",)}


class ModelFileScanner:
    name = "model-files"
    streams = True  # sees files of any size: the model scanner reads in bounded chunks

    def wants(self, rel: str, name: str, suffix: str) -> bool:
        if suffix not in MODEL_SUFFIXES:
            return False
        prefixes = _AMBIGUOUS.get(suffix)
        return prefixes is None or name.lower().startswith(prefixes)

    def scan(self, source: SourceFile, out: ScanOutput) -> None:
        report = model_scanner.scan_file(source.path)
        properties = {"format": report.format, "sha256": report.sha256, "size": report.size,
                      "verdict": report.verdict}
        if report.signed is not None:
            properties["signed"] = report.signed
        asset = out.asset(Asset.make("model-file", source.name, source.rel, locations=[source.loc()],
                                     properties=properties))
        for finding in model_scanner.report_to_findings(report, asset.id, display_path=source.rel):
            out.finding(finding)
