"""Run metatronnanoguard on a JSONL of {"id", "text"}; write {"id", "score", "cpu_s"}.

Runs inside benchmarks/.venv-nanoguard (CPU torch); one thread, one prompt at a time.
Its tokenizer ships as a pickle inside the wheel, which is why it lives in its own venv.
"""

import json
import sys
import time

import torch

torch.set_num_threads(1)
from nanoguard import NanoGuard  # noqa: E402

src, dst = sys.argv[1], sys.argv[2]
ng = NanoGuard(device="cpu") if "device" in NanoGuard.__init__.__code__.co_varnames else NanoGuard()
with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
    for line in f:
        row = json.loads(line)
        t0 = time.process_time()
        r = ng.scan(row["text"])
        cpu = time.process_time() - t0
        score = r.confidence if r.is_injection else 1.0 - r.confidence
        out.write(json.dumps({"id": row["id"], "score": float(score), "cpu_s": cpu}) + "\n")
