"""Run LLM Guard's input scanners that need no model download on a JSONL of
{"id", "text"}; write {"id", "score", "cpu_s"} per scanner.

Runs in benchmarks/.venv-llmguard. PromptInjection (and Toxicity, BanTopics,
Gibberish...) load a model from a hub at construction and cannot run offline; of the
scanners that run, InvisibleText is the one aimed at prompt-injection smuggling.
"""

import json
import sys
import time

from llm_guard.input_scanners import InvisibleText

src, dst = sys.argv[1], sys.argv[2]
scanner = InvisibleText()
with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
    for line in f:
        row = json.loads(line)
        t0 = time.process_time()
        _, valid, risk = scanner.scan(row["text"])
        cpu = time.process_time() - t0
        score = max(float(risk), 0.0) if not valid else 0.0
        out.write(json.dumps({"id": row["id"], "score": score, "cpu_s": cpu}) + "\n")
