"""Model file scanning, side by side with the peers (docs/benchmarks.md, "Model file
scanning").

1. Detection: the generated corpus of tests/discover/models/model_corpus.py (every
   format, the bypasses reported against the peers, benign files) scanned by
   aiposture and, in the same run, by picklescan, modelscan, fickling and modelaudit
   (each in its own venv under benchmarks/.venv-<peer>/, driven by
   peers/model_scanners_run.py) and aisbom-cli (its CLI on the folder). Caught /
   missed / false positives per tool.
2. Throughput: safetensors header-only (GB/s), pickles (MB/s), and a 68 MB
   opcode-heavy pickle: wall time and peak RSS of a fresh process per tool.

Usage: python benchmarks/modelscan_bench.py [--skip-throughput] [--skip-detection] [--json OUT]
Set up the peers first:
  python3 -m venv benchmarks/.venv-picklescan && benchmarks/.venv-picklescan/bin/pip install picklescan==1.0.5
  python3 -m venv benchmarks/.venv-modelscan && benchmarks/.venv-modelscan/bin/pip install modelscan==0.8.8
  python3 -m venv benchmarks/.venv-fickling && benchmarks/.venv-fickling/bin/pip install fickling==0.1.12 \
      typing_extensions numpy
  python3 -m venv benchmarks/.venv-modelaudit && \
      benchmarks/.venv-modelaudit/bin/pip install modelaudit==0.2.54
  python3 -m venv benchmarks/.venv-aisbom && benchmarks/.venv-aisbom/bin/pip install aisbom-cli==1.7.0
A peer whose venv is missing is reported as "not run".
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
WORK = BENCH / "work" / "models"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "discover" / "models"))

from model_corpus import Case, all_cases, build_corpus  # noqa: E402

from aiposture.discover.models import ScanOptions, scan_file  # noqa: E402

PEERS = ["picklescan", "modelscan", "fickling", "modelaudit"]
RUNNER = BENCH / "peers" / "model_scanners_run.py"
PEER_ENV = {
    **os.environ,
    "PROMPTFOO_DISABLE_TELEMETRY": "1",
    "AISBOM_NO_TELEMETRY": "1",
    "AISBOM_OFFLINE": "1",
    "AISBOM_NO_OSV": "1",
    "PYTHONWARNINGS": "ignore",
    "TF_CPP_MIN_LOG_LEVEL": "3",
}


def peer_python(tool: str) -> Path | None:
    python = BENCH / f".venv-{tool}" / "bin" / "python"
    return python if python.exists() else None


# --- detection ---------------------------------------------------------------------------


def run_ours(files: list[Path]) -> tuple[dict[str, dict], float]:
    rows, start = {}, time.perf_counter()
    for path in files:
        report = scan_file(path)
        rows[path.name] = {
            "flagged": report.verdict in ("unsafe", "suspicious"),
            "verdict": report.verdict,
            "error": report.error if report.verdict == "error" else None,
        }
    return rows, time.perf_counter() - start


def run_peer(tool: str, files: list[Path], timeout: int = 1800) -> tuple[dict[str, dict] | None, float, str]:
    python = peer_python(tool)
    if python is None:
        return None, 0.0, "venv missing"
    out = WORK / f"{tool}.json"
    home = tempfile.mkdtemp(prefix=f"home-{tool}-")
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [str(python), str(RUNNER), tool, str(out), *map(str, files)],
            env={**PEER_ENV, "HOME": home},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start, "timed out"
    finally:
        shutil.rmtree(home, ignore_errors=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or not out.exists():
        return None, elapsed, f"failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}"
    rows = {Path(r["file"]).name: r for r in json.loads(out.read_text())}
    return rows, elapsed, ""


def run_aisbom(folder: Path, names: list[str]) -> tuple[dict[str, dict] | None, float, str]:
    exe = BENCH / ".venv-aisbom" / "bin" / "aisbom"
    if not exe.exists():
        return None, 0.0, "venv missing"
    out = WORK / "aisbom.json"
    home = tempfile.mkdtemp(prefix="home-aisbom-")
    start = time.perf_counter()
    try:
        subprocess.run(
            [
                str(exe),
                "scan",
                str(folder),
                "--output",
                str(out),
                "--format",
                "json",
                "--no-fail-on-risk",
                "--offline",
                "--no-osv",
            ],
            env={**PEER_ENV, "HOME": home},
            capture_output=True,
            text=True,
            timeout=1800,
        )
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start, "timed out"
    finally:
        shutil.rmtree(home, ignore_errors=True)
    elapsed = time.perf_counter() - start
    if not out.exists():
        return None, elapsed, "no output"
    return _aisbom_rows(json.loads(out.read_text()), names), elapsed, ""


def _aisbom_rows(doc: dict, names: list[str]) -> dict[str, dict]:
    """aisbom writes a CycloneDX BOM; each model file is a component with an
    `aisbom:risk` property (LOW, MEDIUM, HIGH, CRITICAL (...)). Flagged: HIGH or
    CRITICAL (it rates most plain pickles MEDIUM)."""
    risks: dict[str, str] = {}
    for comp in doc.get("components", []):
        props = {p.get("name"): p.get("value", "") for p in comp.get("properties", [])}
        if "aisbom:risk" in props:
            risks[comp.get("name", "")] = props["aisbom:risk"]
    rows = {}
    for name in names:
        risk = risks.get(name)
        rows[name] = {
            "flagged": bool(risk) and risk.upper().startswith(("HIGH", "CRITICAL")),
            "error": None if risk is not None else "not listed",
            "detail": risk,
        }
    return rows


def score(cases: list[Case], rows: dict[str, dict] | None) -> dict:
    if rows is None:
        return {}
    malicious = [c for c in cases if c.malicious and c.verdict is None]
    benign = [c for c in cases if not c.malicious and c.verdict is None]
    caught = [c.name for c in malicious if rows.get(c.name, {}).get("flagged")]
    fps = [c.name for c in benign if rows.get(c.name, {}).get("flagged")]
    errors = [
        c.name
        for c in malicious + benign
        if rows.get(c.name, {}).get("error") and not rows.get(c.name, {}).get("flagged")
    ]
    return {
        "malicious": len(malicious),
        "benign": len(benign),
        "caught": len(caught),
        "missed": sorted(set(c.name for c in malicious) - set(caught)),
        "false_positives": fps,
        "errors": errors,
    }


def detection() -> dict:
    folder = WORK / "corpus"
    shutil.rmtree(folder, ignore_errors=True)
    cases = all_cases()
    build_corpus(folder, cases)
    files = [folder / c.name for c in cases]
    results: dict[str, dict] = {}
    ours, seconds = run_ours(files)
    results["aiposture"] = {**score(cases, ours), "seconds": seconds, "rows": ours}
    for tool in PEERS:
        rows, seconds, note = run_peer(tool, files)
        results[tool] = {**score(cases, rows), "seconds": seconds, "note": note, "rows": rows or {}}
        if tool == "modelaudit" and rows:
            strict = {name: {**row, "flagged": row.get("flagged_critical", False)} for name, row in rows.items()}
            results["modelaudit (critical only)"] = {
                **score(cases, strict),
                "seconds": seconds,
                "note": note,
                "rows": strict,
            }
    rows, seconds, note = run_aisbom(folder, [c.name for c in cases])
    results["aisbom-cli"] = {**score(cases, rows), "seconds": seconds, "note": note, "rows": rows or {}}
    results["_cases"] = {
        c.name: {"malicious": c.malicious, "note": c.note, "expected": c.expected_verdict} for c in cases
    }
    return results


def print_detection(results: dict) -> None:
    print("\n## Detection (generated corpus)\n")
    print("| tool | malicious caught | missed | false positives (benign) | errors / not scanned | time (s) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for tool, r in results.items():
        if tool.startswith("_"):
            continue
        if "caught" not in r:
            print(f"| {tool} | not run ({r.get('note')}) | | | | |")
            continue
        print(
            f"| {tool} | {r['caught']}/{r['malicious']} | {len(r['missed'])} | "
            f"{len(r['false_positives'])}/{r['benign']} | {len(r['errors'])} | {r['seconds']:.1f} |"
        )
    cases = results["_cases"]
    noted = [n for n, c in cases.items() if c["note"] and c["malicious"]]
    tools = [t for t in results if not t.startswith("_") and "caught" in results[t]]
    print("\n### Known bypasses, per tool (x = flagged)\n")
    print("| case | " + " | ".join(tools) + " |")
    print("| --- | " + " | ".join("---" for _ in tools) + " |")
    for name in noted:
        marks = ["x" if results[t]["rows"].get(name, {}).get("flagged") else "" for t in tools]
        print(f"| {name}: {cases[name]['note']} | " + " | ".join(marks) + " |")
    for tool in tools:
        if results[tool]["missed"]:
            print(f"\n{tool} missed: {', '.join(results[tool]['missed'])}")
        if results[tool]["false_positives"]:
            print(f"{tool} false positives: {', '.join(results[tool]['false_positives'])}")


# --- throughput --------------------------------------------------------------------------


def _write_sparse_safetensors(path: Path, size: int) -> None:
    n = size - 8 - 128
    header = json.dumps({"w": {"dtype": "U8", "shape": [n], "data_offsets": [0, n]}}).encode()
    header += b" " * (128 - len(header))
    with path.open("wb") as fh:
        fh.write(len(header).to_bytes(8, "little") + header)
        fh.truncate(8 + len(header) + n)


def _write_array_pickle(path: Path, megabytes: int) -> None:
    arrays = {
        f"layer{i}.weight": np.random.default_rng(i).standard_normal(1 << 18).astype("f4") for i in range(megabytes)
    }
    with path.open("wb") as fh:
        pickle.dump(arrays, fh, protocol=4)


def _write_torch_zip(path: Path, megabytes: int) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "discover" / "models"))
    from model_corpus import state_dict_pickle

    chunk = np.random.default_rng(0).bytes(1 << 20)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", state_dict_pickle())
        for i in range(megabytes):
            zf.writestr(f"archive/data/{i}", chunk)


def opcode_heavy_pickle(path: Path, target: int = 68 << 20) -> None:
    """A tokenizer-like object: a vocabulary (str -> int), merges (pairs of strings),
    scores (floats) and token ids (ints) — many small opcodes, no big payloads."""
    n = 1
    while True:
        obj = {
            "vocab": {f"tok{i}": i for i in range(n)},
            "merges": [(f"a{i}", f"b{i}") for i in range(n)],
            "scores": [i / 7 for i in range(n)],
            "ids": list(range(n)),
        }
        data = pickle.dumps(obj, protocol=4)
        if len(data) >= target:
            path.write_bytes(data)
            return
        n = max(n + 1, int(n * target / len(data) * 1.01))


# A small launcher measures each tool: peak RSS of a forked child counts the parent's
# pages at fork time, so the measuring parent must stay small.
_LAUNCHER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.execve(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_mb": usage.ru_maxrss / 1024, "rc": os.waitstatus_to_exitcode(status)}))
"""


def _measure_process(argv: list[str], env: dict | None = None, timeout: int = 300) -> dict:
    """Wall time, CPU time (user + system: what the tool itself spent, whatever the
    machine's load) and peak RSS of one process."""
    proc = subprocess.Popen(
        ["/usr/bin/env", "python3", "-S", "-c", _LAUNCHER, *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the tool it runs
        proc.communicate()
        return {"seconds": float(timeout), "cpu": None, "rss_mb": 0, "note": f"over {timeout} s, stopped"}
    try:
        return json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"seconds": 0.0, "cpu": None, "rss_mb": 0, "note": "launcher failed"}


def _ours_argv(path: Path, hashing: bool = True) -> list[str]:
    code = (
        "import sys; from aiposture.discover.models import ScanOptions, scan_file; "
        "print(scan_file(sys.argv[1], options=ScanOptions(hash=sys.argv[2] == '1')).verdict)"
    )
    return [sys.executable, "-c", code, str(path), "1" if hashing else "0"]


def _peer_argv(tool: str, path: Path) -> list[str] | None:
    python = peer_python(tool)
    if python is None:
        return None
    return [str(python), str(RUNNER), tool, str(WORK / f"{tool}-one.json"), str(path)]


MAKERS = {
    "arrays": lambda path: _write_array_pickle(path, 256),
    "torch-zip": lambda path: _write_torch_zip(path, 256),
    "opcode-heavy": lambda path: opcode_heavy_pickle(path),
}


def _make_in_child(kind: str, path: Path) -> None:
    subprocess.run([sys.executable, __file__, "--make", kind, str(path)], check=True)


def throughput() -> dict:
    out: dict = {}
    folder = WORK / "throughput"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    # safetensors, header only (hash off: nothing but the header is read)
    files = []
    for i in range(8):
        path = folder / f"shard{i}.safetensors"
        _write_sparse_safetensors(path, 2 << 30)
        files.append(path)
    total = sum(p.stat().st_size for p in files)
    start, cpu = time.perf_counter(), time.process_time()
    for path in files:
        assert scan_file(path, options=ScanOptions(hash=False)).verdict == "safe"
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    out["safetensors_header_only"] = {
        "bytes": total,
        "seconds": elapsed,
        "cpu": cpu,
        "gb_per_s": total / elapsed / 1e9,
    }
    for path in files:
        path.unlink()
    # pickles: in-band numpy arrays (how plain pickles of models look) and a torch zip
    pkl = folder / "arrays.pkl"
    _make_in_child("arrays", pkl)
    tzip = folder / "checkpoint.pt"
    _make_in_child("torch-zip", tzip)
    for label, path in (("pickle_numpy_arrays", pkl), ("torch_zip_checkpoint", tzip)):
        row: dict = {"bytes": path.stat().st_size}
        row["aiposture"] = _measure_process(_ours_argv(path, hashing=True))
        row["aiposture (no hash)"] = _measure_process(_ours_argv(path, hashing=False))
        for tool in ("picklescan", "modelscan", "fickling", "modelaudit"):
            argv = _peer_argv(tool, path)
            if argv is not None:
                row[tool] = _measure_process(argv, env={**PEER_ENV, "HOME": tempfile.mkdtemp()})
        out[label] = row
    pkl.unlink()
    tzip.unlink()
    # the opcode-heavy pickle: time and peak RSS of a whole process
    heavy = folder / "opcode_heavy.pkl"
    _make_in_child("opcode-heavy", heavy)
    row = {"bytes": heavy.stat().st_size, "aiposture": _measure_process(_ours_argv(heavy))}
    for tool in ("picklescan", "modelscan", "fickling", "modelaudit"):
        argv = _peer_argv(tool, heavy)
        if argv is not None:
            row[tool] = _measure_process(argv, env={**PEER_ENV, "HOME": tempfile.mkdtemp()})
    out["opcode_heavy"] = row
    return out


TOOLS = ("aiposture", "aiposture (no hash)", "picklescan", "modelscan", "fickling", "modelaudit")


def _cell(m: dict | None, size: int) -> str:
    if m is None:
        return "not run"
    if not m.get("cpu"):
        return m.get("note", "n/a")
    return f"{size / m['cpu'] / 1e6:.0f} MB/s ({m['seconds']:.1f} s wall)"


def print_throughput(out: dict) -> None:
    print("\n## Throughput\n")
    st = out["safetensors_header_only"]
    print(
        f"safetensors, header only: {st['bytes'] / 2**30:.0f} GiB in {st['seconds']:.3f} s wall "
        f"({st['cpu']:.3f} s CPU) = {st['gb_per_s']:.0f} GB/s"
    )
    print("\nMB/s of CPU time (wall time in brackets), one process per tool and file:\n")
    print("| file | size | " + " | ".join(TOOLS) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in TOOLS) + " |")
    for label in ("pickle_numpy_arrays", "torch_zip_checkpoint"):
        r = out[label]
        cells = [_cell(r.get(t), r["bytes"]) for t in TOOLS]
        print(f"| {label} | {r['bytes'] / 1e6:.0f} MB | " + " | ".join(cells) + " |")
    heavy = out["opcode_heavy"]
    print(f"\nopcode-heavy pickle ({heavy['bytes'] / 2**20:.0f} MiB), one process each:\n")
    print("| tool | CPU time (s) | wall time (s) | peak RSS (MB) |")
    print("| --- | --- | --- | --- |")
    for tool in ("aiposture", "picklescan", "modelscan", "fickling", "modelaudit"):
        m = heavy.get(tool)
        if m is None:
            print(f"| {tool} | not run | | |")
        else:
            note = f" ({m['note']})" if m.get("note") else ""
            cpu, wall, rss = m.get("cpu") or 0, m.get("seconds", 0), m.get("rss_mb", 0)
            print(f"| {tool} | {cpu:.1f}{note} | {wall:.1f} | {rss:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-detection", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--make", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        MAKERS[args.make[0]](Path(args.make[1]))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    print(
        f"# Model file scanning benchmark ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f})"
    )
    raw: dict = {}
    if not args.skip_detection:
        raw["detection"] = detection()
        print_detection(raw["detection"])
    if not args.skip_throughput:
        raw["throughput"] = throughput()
        print_throughput(raw["throughput"])
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2, default=str))


if __name__ == "__main__":
    main()
