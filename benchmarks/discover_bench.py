"""Discovery benchmark (issue 2): aiposture vs the open-source AI-BOM scanners on
PyPI, in the same run, on the same generated tree.

For each tool: wall time, files/s, peak RSS (largest process of the tool's tree),
how many planted AI assets its CycloneDX output names, and whether that BOM passes
cyclonedx-python-lib's strict CycloneDX 1.6 validation. Memory flatness: aiposture
is also run on a tree 10x smaller and the two peaks are compared.

    python benchmarks/discover_bench.py [--files 50000] [--model-bytes 1073741824]

Peers live in their own venvs (BENCHMARKS.md): benchmarks/.venv-aibom (`ai-bom`),
benchmarks/.venv-cisco (`cisco-aibom[agentic,llm-openai]`); a missing one is reported
as not run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from gen_tree import generate  # noqa: E402

WORK = HERE / "work"
NORMALISE = re.compile(r"[^a-z0-9]+")

# Alternative spellings tools use for the SDKs we plant.
SDK_TOKENS = {
    "Hugging Face Transformers": ["transformers", "huggingface"], "Google Gen AI": ["genai", "gemini"],
    "Vertex AI": ["vertex", "aiplatform"], "AWS Bedrock": ["bedrock"], "Semantic Kernel": ["semantickernel"],
    "LlamaIndex": ["llamaindex"], "Mistral": ["mistral"], "Cohere": ["cohere"], "AutoGen": ["autogen"],
    "CrewAI": ["crewai"], "DSPy": ["dspy"], "Ollama": ["ollama"], "vLLM": ["vllm"], "LiteLLM": ["litellm"],
    "LangChain": ["langchain"], "OpenAI": ["openai"], "Anthropic": ["anthropic"],
}


def norm(text: str) -> str:
    return NORMALISE.sub("", text.lower())


def bom_names(doc: dict) -> list[str]:
    """Every name a BOM gives, with the properties and evidence locations that carry names."""
    names: list[str] = []

    def visit(items):
        for item in items or []:
            names.append(str(item.get("name", "")))
            names.append(str(item.get("group", "")))
            names.append(str(item.get("purl", "")))
            for prop in item.get("properties", []) or []:
                names.append(str(prop.get("value", "")))
            for occ in (item.get("evidence") or {}).get("occurrences", []) or []:
                names.append(str(occ.get("location", "")))
            visit(item.get("components"))

    visit(doc.get("components"))
    visit(doc.get("services"))
    return [norm(n) for n in names if n]


def found(planted: list[list[str]], names: list[str]) -> dict[str, tuple[int, int]]:
    """Per kind: (found, planted). An SDK counts when a name holds one of its tokens;
    anything else when a name equals one of its spellings or ends with one (a path).
    Linear in the number of names: suffixes are looked up by length in hash sets."""
    joined = "\n".join(names)
    name_set = set(names)
    spellings = {(kind, label): [norm(s) for s in label.split("|") if norm(s)] for kind, label in planted
                 if kind != "sdk"}
    by_length: dict[int, set[str]] = {}
    for options in spellings.values():
        for spelling in options:
            by_length.setdefault(len(spelling), set()).add(spelling)
    seen: set[str] = set()
    for name in name_set:
        for length, wanted in by_length.items():
            if len(name) >= length and name[-length:] in wanted:
                seen.add(name[-length:])
    score: dict[str, list[int]] = {}
    for kind, label in planted:
        if kind == "sdk":
            hit = any(tok in joined for tok in SDK_TOKENS.get(label, [norm(label)]))
        else:
            hit = any(s in seen for s in spellings[(kind, label)])
        entry = score.setdefault(kind, [0, 0])
        entry[0] += hit
        entry[1] += 1
    return {k: (v[0], v[1]) for k, v in score.items()}


def strict_valid(path: Path) -> str:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    if not path.exists() or path.stat().st_size == 0:
        return "no BOM"
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return "not JSON"
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    return "valid" if error is None else f"invalid: {str(error)[:90]}"


def run_measured(cmd: list[str], env: dict | None = None, timeout: int = 1800) -> tuple[float, int, int, str]:
    """Wall seconds, peak RSS in MB (GNU time: the tool's largest process), exit code, stderr tail."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "MAXRSS=%M", *cmd], capture_output=True, text=True,
                          env=env, timeout=timeout)
    wall = time.perf_counter() - start
    rss = re.findall(r"MAXRSS=(\d+)", proc.stderr)
    tail = proc.stderr.strip().splitlines()[-3:] if proc.stderr else []
    return wall, int(rss[-1]) // 1024 if rss else -1, proc.returncode, " | ".join(tail)[:200]


Tools = dict[str, tuple[list[str], dict | None]]


def tools(tree: Path, out: Path, scratch_home: Path, slow_peers: bool = True) -> Tools:
    env = {**os.environ, "HOME": str(scratch_home), "OPENAI_API_KEY": "sk-offline", "NO_COLOR": "1"}
    found_tools: dict[str, tuple[list[str], dict | None]] = {
        "aiposture": ([str(ROOT / ".venv" / "bin" / "aiposture"), "discover", str(tree), "--format", "cyclonedx",
                       "-o", str(out / "aiposture.json"), "--db", f"sqlite:///{out / 'state.db'}"], None),
    }
    aibom = HERE / ".venv-aibom" / "bin" / "ai-bom"
    if aibom.exists():
        found_tools["ai-bom"] = ([str(aibom), "scan", str(tree), "--format", "cyclonedx", "-o",
                                  str(out / "ai-bom.json"), "--quiet"], env)
        found_tools["ai-bom --deep"] = ([str(aibom), "scan", str(tree), "--deep", "--format", "cyclonedx", "-o",
                                         str(out / "ai-bom --deep.json"), "--quiet"], env)
    cisco = HERE / ".venv-cisco" / "bin" / "cisco-aibom"
    if cisco.exists() and slow_peers:
        # It refuses to run without an LLM: point it at a dead loopback port, no retries,
        # so it falls back to its deterministic scanners (BENCHMARKS.md).
        found_tools["cisco-aibom"] = ([str(cisco), "analyze", str(tree), "-o", "cyclonedx",
                                       "-O", str(out / "cisco-aibom.json"), "--llm-model", "gpt-4o-mini",
                                       "--llm-provider", "openai", "--llm-api-base", "http://127.0.0.1:9/v1",
                                       "--llm-api-key", "sk-offline", "--no-show-summary", "--no-progress",
                                       "--agentic-max-retry-seconds", "0",
                                       "--agentic-max-consecutive-failures", "1", "--agentic-timeout", "5"], env)
    return found_tools


def bench_tree(tree: Path, truth: dict, label: str, slow_peers: bool = True) -> list[dict]:
    rows = []
    out = Path(tempfile.mkdtemp(prefix="bench-out-", dir=WORK))
    home = out / "home"
    home.mkdir()
    for name, (cmd, env) in tools(tree, out, home, slow_peers).items():
        wall, rss, code, err = run_measured(cmd, env)
        bom = out / f"{name}.json"
        names = bom_names(json.loads(bom.read_text())) if bom.exists() and strict_valid(bom) != "not JSON" else []
        per_kind = found(truth["planted"], names)
        total_found = sum(f for f, _ in per_kind.values())
        rows.append({"tree": label, "tool": name, "seconds": round(wall, 2),
                     "files_per_s": round(truth["files"] / wall) if wall else 0, "peak_rss_mb": rss,
                     "exit": code, "found": total_found, "planted": len(truth["planted"]),
                     "by_kind": per_kind, "bom": strict_valid(bom), "stderr": err if code else ""})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| tree | tool | seconds | files/s | peak RSS MB | planted assets found | CycloneDX 1.6 strict |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(f"| {r['tree']} | {r['tool']} | {r['seconds']} | {r['files_per_s']:,} | {r['peak_rss_mb']} |"
                     f" {r['found']}/{r['planted']} | {r['bom']} |")
    kinds = sorted({k for r in rows for k in r["by_kind"]})
    lines += ["", "| tree | tool | " + " | ".join(kinds) + " |", "| --- | --- |" + " ---: |" * len(kinds)]
    for r in rows:
        cells = [f"{r['by_kind'].get(k, (0, 0))[0]}/{r['by_kind'].get(k, (0, 0))[1]}" for k in kinds]
        lines.append(f"| {r['tree']} | {r['tool']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--model-bytes", type=int, default=1 << 30)
    parser.add_argument("--keep", action="store_true", help="keep the generated trees")
    parser.add_argument("--slow-peers-on-full-tree", action="store_true",
                        help="also run cisco-aibom on the full tree (about 30 min at 50,000 files)")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    rows: list[dict] = []
    for files, model_bytes in ((args.files // 10, args.model_bytes // 10), (args.files, args.model_bytes)):
        tree = WORK / f"tree-{files}"
        shutil.rmtree(tree, ignore_errors=True)
        truth = generate(tree, files, model_bytes, seed=7)
        full = files == args.files
        rows += bench_tree(tree, truth, f"{files:,} files, {model_bytes >> 20} MB models",
                           slow_peers=not full or args.slow_peers_on_full_tree)
        if not args.keep:
            shutil.rmtree(tree, ignore_errors=True)
    print()
    print(markdown(rows))


if __name__ == "__main__":
    main()
