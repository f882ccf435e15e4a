"""Run detect-secrets 1.5 on a JSONL corpus (runs in benchmarks/.venv-detect-secrets).

Each text is written to its own file and scanned with `SecretsCollection.scan_file`
under the default settings (all plugins, default filters) — the way the tool is used.
Writes {"id", "findings": [{"type", "line"}]} per input and, last,
{"_timing": CPU seconds spent in scan_file (file read included), "_chars": characters}.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

from detect_secrets import SecretsCollection
from detect_secrets.settings import default_settings


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    rows = [json.loads(line) for line in open(src, encoding="utf-8")]
    spent, chars = 0.0, 0
    with tempfile.TemporaryDirectory() as tmp, default_settings(), open(dst, "w", encoding="utf-8") as out:
        for i, row in enumerate(rows):
            path = os.path.join(tmp, f"sample_{i}.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write(row["text"])
            collection = SecretsCollection()
            t0 = time.process_time()
            collection.scan_file(path)
            spent += time.process_time() - t0
            chars += len(row["text"])
            findings = [{"type": s.type, "line": s.line_number} for secrets in collection.data.values()
                        for s in secrets]
            out.write(json.dumps({"id": row["id"], "findings": findings}) + "\n")
        out.write(json.dumps({"_timing": spent, "_chars": chars}) + "\n")


if __name__ == "__main__":
    main()
