"""Assess benchmark (issue 6): `aiposture assess` end to end on the 50,000-file
generated tree (benchmarks/gen_tree.py, 1 GB of model files), the time to write its
report, and, side by side in the same run, the peers one would otherwise run one after
another on the same tree: cdxgen for the BOM and modelscan for the model files.

    python benchmarks/assess_bench.py [--files 50000] [--model-bytes 1073741824] [--keep]

Figures:
- assess end to end (discover + model scanning + posture + store + HTML report), as a
  user runs it (a fresh process, GNU time for peak RSS);
- the report alone: rendering HTML and JSON from the stored run, in-process, best of 3;
- the posture step alone (checks, frameworks, per-app scores, attack paths), best of 3;
- peers: cdxgen (npm, benchmarks/.venv-cdxgen) writing a CycloneDX BOM of the tree,
  modelscan (PyPI, benchmarks/.venv-modelscan) scanning its models/ folder, each as a
  fresh process; their sum is "the peers one after another". A missing peer is
  reported as not run. Neither peer scores posture, maps frameworks or finds attack
  paths: the comparison is time for the part of the job they do.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from gen_tree import generate  # noqa: E402

WORK = HERE / "work"


def run_measured(cmd: list[str], env: dict | None = None, timeout: int = 1800) -> dict:
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "MAXRSS=%M CPU=%U+%S", *cmd],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    wall = time.perf_counter() - start
    stats = [line for line in proc.stderr.splitlines() if line.startswith("MAXRSS=")]
    rss = [int(line.split()[0].split("=")[1]) for line in stats]
    cpu = [sum(float(x) for x in line.split("CPU=")[1].split("+")) for line in stats]
    tail = " | ".join(proc.stderr.strip().splitlines()[-3:])[:200] if proc.returncode else ""
    return {
        "seconds": round(wall, 2),
        "cpu_s": round(cpu[-1], 2) if cpu else -1,
        "peak_rss_mb": rss[-1] // 1024 if rss else -1,
        "exit": proc.returncode,
        "stderr": tail,
    }


def best_of(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(min(times), 3)


def in_process_figures(db_url: str) -> dict:
    """Report and posture timings from the stored run, without process start-up."""
    from aiposture.govern.evidence import Evidence
    from aiposture.govern.history import latest_report
    from aiposture.govern.html_report import render_html
    from aiposture.govern.posture import assess_posture
    from aiposture.govern.text_report import render_json
    from aiposture.store import Store

    store = Store.open(db_url)
    report = latest_report(store)
    result = store.load_run(report.run.id)
    store.close()
    html = render_html(report, result)
    copies = [result.model_copy(deep=True) for _ in range(3)]  # assess_posture adds findings in place
    return {
        "html_render_s": best_of(lambda: render_html(report, result)),
        "json_render_s": best_of(lambda: render_json(report, result)),
        "posture_s": best_of(lambda: assess_posture(copies.pop(), Evidence())),
        "html_kb": len(html.encode()) // 1024,
        "assets": len(result.assets),
        "findings": len(result.findings),
        "apps": len(report.apps),
        "score": report.score.score,
        "paths": len(report.attack_paths),
    }


def peers(tree: Path, out: Path) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    home = out / "home"
    home.mkdir(exist_ok=True)
    cdxgen = HERE / ".venv-cdxgen" / "bin" / "cdxgen"
    if cdxgen.exists():
        env = {
            **os.environ,
            "HOME": str(home),
            "FETCH_LICENSE": "false",
            "CDXGEN_TELEMETRY": "false",
            "CDXGEN_NO_BANNER": "true",
            "NODE_NO_WARNINGS": "1",
        }
        row = run_measured(
            [str(cdxgen), "-r", "--no-install-deps", "-o", str(out / "cdxgen.json"), str(tree)], env
        )
        bom = out / "cdxgen.json"
        row["output"] = (
            f"{len(json.loads(bom.read_text()).get('components', []))} components" if bom.exists() else ""
        )
        rows["cdxgen (BOM)"] = row
    else:
        rows["cdxgen (BOM)"] = {
            "exit": None,
            "stderr": "not installed (npm install --prefix benchmarks/.venv-cdxgen)",
        }
    modelscan = HERE / ".venv-modelscan" / "bin" / "modelscan"
    if modelscan.exists():
        env = {**os.environ, "HOME": str(home)}
        row = run_measured(
            [str(modelscan), "-p", str(tree / "models"), "-r", "json", "-o", str(out / "modelscan.json")], env
        )
        report = out / "modelscan.json"
        if report.exists():
            summary = json.loads(report.read_text()).get("summary", {})
            scanned = summary.get("scanned", {}).get("total_scanned", "?")
            row["output"] = f"{summary.get('total_issues', '?')} issues, {scanned} files scanned"
        rows["modelscan (models)"] = row
    else:
        rows["modelscan (models)"] = {"exit": None, "stderr": "not installed (benchmarks/.venv-modelscan)"}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--model-bytes", type=int, default=1 << 30)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the generated tree")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    tree = WORK / f"assess-tree-{args.files}"
    if not (args.keep and tree.exists()):
        shutil.rmtree(tree, ignore_errors=True)
        generate(tree, args.files, args.model_bytes, seed=7)
    out = WORK / "assess-out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    db = f"sqlite:///{out / 'state.db'}"
    aiposture = str(ROOT / ".venv" / "bin" / "aiposture")
    env = {**os.environ, "AIPOSTURE_STATE_DIR": str(out / "state")}
    rows = {
        "aiposture assess (html)": run_measured(
            [aiposture, "assess", str(tree), "--format", "html", "-o", str(out / "report.html"), "--db", db],
            env,
        )
    }
    rows["aiposture assess (json)"] = run_measured(
        [aiposture, "assess", str(tree), "--format", "json", "-o", str(out / "report.json"), "--db", db], env
    )
    rows["aiposture posture --format html"] = run_measured(
        [aiposture, "posture", "--format", "html", "-o", str(out / "posture.html"), "--db", db], env
    )
    figures = in_process_figures(db)
    rows.update(peers(tree, out))
    done = [r for k, r in rows.items() if k.startswith(("cdxgen", "modelscan")) and r.get("exit") is not None]
    if done:
        rows["peers one after another"] = {
            "seconds": round(sum(r["seconds"] for r in done), 2),
            "cpu_s": round(sum(r["cpu_s"] for r in done), 2),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in done),
            "exit": 0,
        }
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average (1/5/15 min) at the end: {load} on {os.cpu_count()} cores")
    for name, row in rows.items():
        print(json.dumps({"tool": name, **row}), flush=True)
    print(json.dumps({"in_process": figures}))
    print()
    print("| run | wall s | CPU s (user+sys) | peak RSS MB | exit | output |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, row in rows.items():
        if row.get("exit") is None:
            print(f"| {name} | — | — | — | — | {row['stderr']} |")
        else:
            print(
                f"| {name} | {row['seconds']} | {row['cpu_s']} | {row['peak_rss_mb']} | {row['exit']} | "
                f"{row.get('output', '')}{row.get('stderr', '')} |"
            )
    print()
    print(
        f"In-process, from the stored run ({figures['assets']:,} assets, {figures['findings']:,} findings, "
        f"{figures['apps']:,} apps, {figures['paths']} attack paths, score {figures['score']}): HTML report "
        f"{figures['html_render_s']} s ({figures['html_kb']:,} KB), JSON {figures['json_render_s']} s, "
        f"posture (checks, frameworks, per-app scores, attack paths) {figures['posture_s']} s."
    )
    if not args.keep:
        shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    main()
