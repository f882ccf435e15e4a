"""Run alt-profanity-check on a JSONL of {"id", "text"}; write {"id", "score", "cpu_s"}.

Runs in benchmarks/.venv-profanity (it pins its own scikit-learn and ships its model)."""

import json
import sys
import time

from profanity_check import predict_prob

src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
    for line in f:
        row = json.loads(line)
        t0 = time.process_time()
        p = float(predict_prob([row["text"]])[0])
        out.write(json.dumps({"id": row["id"], "score": p, "cpu_s": time.process_time() - t0}) + "\n")
