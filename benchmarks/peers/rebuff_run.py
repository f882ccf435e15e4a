"""Run rebuff's heuristic layer (the only one that works offline) on a JSONL of
{"id", "text"}; write {"id", "score", "cpu_s", "timeout"}.

rebuff is installed with --no-deps in benchmarks/.venv-rebuff; its package __init__
imports the OpenAI/Pinecone SDK, so the heuristics module is loaded from its file.
Each call is capped at CAP_S seconds of CPU time (ITIMER_PROF): its fuzzy matching is quadratic and
can take seconds on long text. A time-out scores 0 and is counted.
"""

import importlib.util
import importlib.util as _u
import json
import signal
import sys
import time
from pathlib import Path

rebuff_spec = _u.find_spec("rebuff")

CAP_S = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
spec = importlib.util.spec_from_file_location(
    "rebuff_heuristics", Path(rebuff_spec.origin).with_name("detect_pi_heuristics.py"))
heur = importlib.util.module_from_spec(spec)
spec.loader.exec_module(heur)


class Timeout(Exception):
    pass


def _alarm(*_):
    raise Timeout()


signal.signal(signal.SIGPROF, _alarm)
src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
    for line in f:
        row = json.loads(line)
        t0 = time.process_time()
        timeout = False
        signal.setitimer(signal.ITIMER_PROF, CAP_S)
        try:
            score = float(heur.detect_prompt_injection_using_heuristic_on_input(row["text"]))
        except Timeout:
            score, timeout = 0.0, True
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        out.write(json.dumps({"id": row["id"], "score": score, "cpu_s": time.process_time() - t0,
                              "timeout": timeout}) + "\n")
