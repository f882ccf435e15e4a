"""Red-team figures (issue 7), side by side with the peers in the same run.

    .venv/bin/python benchmarks/redteam_bench.py throughput   # attempts/s vs a local target; default suite
    .venv/bin/python benchmarks/redteam_bench.py coverage     # counts from garak / PyRIT / promptfoo packages
    .venv/bin/python benchmarks/redteam_bench.py garak        # garak on the same local target (own venv)
    .venv/bin/python benchmarks/redteam_bench.py all

The local target is the weak Contoso copilot (`aiposture demo target`), served by
uvicorn in its own process. Peer packages are fetched with `pip download --no-deps`
and `npm pack` (pinned) and read as archives; nothing of theirs is imported here.
garak runs from `benchmarks/.venv-garak` when that venv exists.
"""

from __future__ import annotations

import ast
import json
import os
import re
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work" / "redteam"
PEERS = {"garak": "0.17.1", "pyrit": "1.1.0"}
PROMPTFOO = "0.121.20"
CHAINS = [
    "base64",
    "hex",
    "rot13",
    "leetspeak",
    "confusables",
    "zerowidth",
    "charsplit",
    "split",
    "langswitch",
    "html_smuggle",
    "md_smuggle",
    "base64+zerowidth",
]


# --- the local target ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


FAKE_REPLY = json.dumps(
    {
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "I'm sorry, I can't help with that."}}
        ]
    }
)


async def fake_app(scope, receive, send) -> None:
    """The cheapest OpenAI-compatible fake: reads the body, answers a fixed refusal."""
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": FAKE_REPLY.encode()})


class LocalTarget:
    """The sample target (or the constant fake) served by uvicorn (httptools) in a child process."""

    def __init__(self, fake: bool = False) -> None:
        self.fake = fake

    def __enter__(self) -> LocalTarget:
        self.port = free_port()
        code = (
            f"from aiposture.commands.demo_target import serve_target; serve_target('127.0.0.1', {self.port})"
        )
        if self.fake:
            code = (
                "import sys, uvicorn; sys.path.insert(0, 'benchmarks'); from redteam_bench import fake_app; "
                f"uvicorn.run(fake_app, host='127.0.0.1', port={self.port}, log_level='warning')"
            )
        self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("sample target did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# --- throughput ------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_suite(target: str, concurrency: int, db: str, server_pid: int | None) -> dict:
    """One campaign (all probes x CHAINS), timed by wall clock and by CPU."""
    from aiposture.redteam.campaign import run_campaign, run_sync
    from aiposture.redteam.plan import RunConfig
    from aiposture.redteam.store import RedteamStore
    from aiposture.redteam.targets.python_callable import PythonCallableTarget
    from aiposture.store.database import Store

    store = RedteamStore(Store.open(db))
    config = RunConfig(target=target, probes=["all"], converters=CHAINS, concurrency=concurrency)
    direct = None
    if server_pid is None:
        from aiposture.redteam.sample_target import chat

        direct = PythonCallableTarget(callable=chat, threaded=False)
    server0 = cpu_seconds(server_pid) if server_pid else 0.0
    cpu0, started = time.process_time(), time.perf_counter()
    report = run_sync(run_campaign(config, store=store, target=direct))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    server = cpu_seconds(server_pid) - server0 if server_pid else 0.0
    store.store.close()
    return {
        "attempts": len(report.attempts),
        "requests": report.requests,
        "wall": wall,
        "client_cpu": cpu,
        "server_cpu": server,
        "asr": report.asr,
    }


def row(label: str, runs: list[dict]) -> str:
    runs = sorted(runs, key=lambda r: r["wall"])
    best, median = runs[0], runs[len(runs) // 2]
    n = best["attempts"]
    bound = n / max(best["client_cpu"], best["server_cpu"])
    return (
        f"| {label} | {n} | {best['requests']} | {n / best['wall']:.0f} | "
        f"{median['attempts'] / median['wall']:.0f}"
        f" | {1000 * best['client_cpu'] / n:.2f} | {1000 * best['server_cpu'] / n:.2f} | {bound:.0f} |"
        f" {best['asr']:.1%} |"
    )


def throughput(runs: int = 3) -> list[str]:
    """Wall-clock rates on this (shared) machine, and the CPU each side spent per
    attempt: the CPU-bound rate is what two idle cores (client on one, target on the
    other) would sustain, since the client and the target each need that much CPU."""
    lines = [
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start",
        "",
        "| run | attempts | requests | attempts/s wall (best of 3) | attempts/s wall (median) "
        "| client CPU ms/attempt | target CPU ms/attempt | CPU-bound attempts/s (2 idle cores) | ASR |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        run_suite(
            "aiposture.redteam.sample_target:chat", 32, f"sqlite:///{tmp}/warm.db", None
        )  # imports, guard
        with LocalTarget(fake=True) as fake:
            results = [
                run_suite(fake.url, 32, f"sqlite:///{tmp}/f{i}.db", fake.proc.pid) for i in range(runs)
            ]
            lines.append(row("HTTP, constant fake target (fixed refusal), c=32", results))
        with LocalTarget() as target:
            for conc in (32, 8, 1):
                results = [
                    run_suite(target.url, conc, f"sqlite:///{tmp}/s{conc}{i}.db", target.proc.pid)
                    for i in range(runs)
                ]
                lines.append(row(f"HTTP, weak sample target, c={conc}", results))
            results = [
                run_suite("aiposture.redteam.sample_target:chat", 32, f"sqlite:///{tmp}/d{i}.db", None)
                for i in range(runs)
            ]
            lines.append(row("in process (callable target, runner + target on one core), c=32", results))
            lines += ["", default_suite(target.url, tmp, runs)]
    lines.append(f"\nload average at end {os.getloadavg()[0]:.1f}")
    return lines


def default_suite(url: str, tmp: str, runs: int) -> str:
    """The default suite through the CLI, as CI runs it: process start, imports and
    the guard's load included."""
    times = []
    for i in range(runs):
        started = time.perf_counter()
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "aiposture.cli",
                "redteam",
                "run",
                "--target",
                url,
                "--format",
                "json",
                "--db",
                f"sqlite:///{tmp}/cli{i}.db",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - started)
    body = json.loads(cli.stdout)
    return (
        f"default suite via the CLI: {len(body['attempts'])} attempts, {body['requests']} requests, "
        f"best {min(times):.1f} s, median {sorted(times)[len(times) // 2]:.1f} s, ASR {body['asr']:.1%}"
    )


# --- coverage from the peers' packages -------------------------------------------------------------------


def fetch_peers() -> dict[str, Path]:
    WORK.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, version in PEERS.items():
        wheel = next(WORK.glob(f"{name}-{version}-*.whl"), None)
        if wheel is None:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "-q",
                    "-d",
                    str(WORK),
                    f"{name}=={version}",
                ],
                check=True,
            )
            wheel = next(WORK.glob(f"{name}-{version}-*.whl"))
        out[name] = wheel
    tgz = WORK / f"promptfoo-{PROMPTFOO}.tgz"
    if not tgz.exists():
        subprocess.run(
            ["npm", "pack", f"promptfoo@{PROMPTFOO}", "--silent"], cwd=WORK, check=True, capture_output=True
        )
    out["promptfoo"] = tgz
    return out


def public_classes(
    zf: zipfile.ZipFile,
    prefix: str,
    skip: tuple[str, ...] = ("base", "_tier", "test", "__init__"),
    suffix: str = "",
) -> int:
    """Public classes defined in modules under prefix (an AST count: no import)."""
    count = 0
    for name in zf.namelist():
        if not name.startswith(prefix) or not name.endswith(".py") or Path(name).stem in skip:
            continue
        tree = ast.parse(zf.read(name))
        count += sum(
            1
            for node in tree.body
            if isinstance(node, ast.ClassDef)
            and not node.name.startswith("_")
            and node.name.endswith(suffix)
            and "Base" not in node.name
            and "Mixin" not in node.name
        )
    return count


def grep_zip(zf: zipfile.ZipFile, needle: str) -> bool:
    return any(
        needle in zf.read(n).decode("utf-8", "ignore").lower()
        for n in zf.namelist()
        if n.endswith((".py", ".jinja", ".html", ".j2"))
    )


def garak_counts(wheel: Path) -> dict[str, object]:
    zf = zipfile.ZipFile(wheel)
    return {
        "probes": public_classes(zf, "garak/probes/"),
        "converters": public_classes(zf, "garak/buffs/"),
        "scorers": public_classes(zf, "garak/detectors/"),
        "multi_turn": "atkgen, fitd, goat, tap",
        "formats": "jsonl, html digest, AVID json",
        "sarif": grep_zip(zf, "sarif"),
        "junit": grep_zip(zf, "junit"),
        "gate": "no ASR threshold exit code",
    }


def pyrit_counts(wheel: Path) -> dict[str, object]:
    zf = zipfile.ZipFile(wheel)
    templates = sum(
        1
        for n in zf.namelist()
        if n.startswith("pyrit/datasets/jailbreak/templates/") and n.endswith(".yaml")
    )
    attacks = public_classes(zf, "pyrit/executor/attack/", suffix="Attack")
    return {
        "probes": f"{templates} jailbreak templates (datasets, no probe catalogue)",
        "converters": public_classes(zf, "pyrit/converter/", suffix="Converter"),
        "scorers": public_classes(zf, "pyrit/score/", suffix="Scorer"),
        "multi_turn": f"{attacks} attack strategies (crescendo, PAIR, TAP, red teaming, ...)",
        "formats": "console/markdown printers, memory DB",
        "sarif": grep_zip(zf, "sarif"),
        "junit": grep_zip(zf, "junit"),
        "gate": "none (a library)",
    }


def promptfoo_counts(tgz: Path) -> dict[str, object]:
    with tarfile.open(tgz) as tar:
        files = {m.name: m for m in tar.getmembers() if m.name.startswith("package/dist/src/")}
        consts = next(
            tar.extractfile(m).read().decode()
            for n, m in sorted(files.items())
            if re.search(r"tables-[^/]+\.js$", n)
            and b"const ADDITIONAL_STRATEGIES" in tar.extractfile(m).read()
        )
        junit = any(
            b'"junit.xml"]' in tar.extractfile(m).read() for n, m in files.items() if n.endswith(".js")
        )
        remote = sum(
            tar.extractfile(m).read().count(b"shouldGenerateRemote")
            for n, m in files.items()
            if n.endswith(".js")
        )
    counts = _eval_promptfoo_constants(consts)
    formats = re.search(r"OutputFileExtension = z\.enum\(\[([^\]]*)\]", consts)
    fmt = ", ".join(s.strip().strip('"') for s in formats.group(1).split(",")) if formats else "?"
    return {
        "probes": counts.get("plugins", "?"),
        "converters": counts.get("strategies", "?"),
        "scorers": "assertions + LLM rubric",
        "multi_turn": counts.get("multi", "?"),
        "formats": fmt + (", junit.xml" if junit else ""),
        "sarif": False,
        "junit": junit,
        "gate": "yes (eval exit code / pass-rate threshold)",
        "remote": f"plugin generation defaults to api.promptfoo.app ({remote} call sites)",
    }


def _eval_promptfoo_constants(src: str) -> dict[str, int]:
    """Evaluate the plugin/strategy constant arrays with node, every import stubbed."""
    names = set()
    for line in src.splitlines():
        if m := re.match(r"import \{(.*)\} from", line):
            names.update(part.split(" as ")[-1].strip() for part in m.group(1).split(","))
        elif m := (re.match(r"import \* as (\S+) from", line) or re.match(r"import (\w+) from", line)):
            names.add(m.group(1))
    stub = (
        "const __s = new Proxy(function(){}, {get: (t, p) => p === Symbol.toPrimitive ? (() => '') : __s, "
        "apply: () => __s, construct: () => __s});\n"
        + "".join(f"const {n} = __s;\n" for n in sorted(names) if n)
    )
    start = src.index("//#region src/redteam/constants")
    end = src.index("\n", src.index("const ALL_STRATEGIES"))
    script = (
        stub
        + src[start:end]
        + (
            "\nconsole.log(JSON.stringify({plugins: ALL_PLUGINS.length, "
            "strategies: ALL_STRATEGIES.length, multi: MULTI_TURN_STRATEGIES.length}))\n"
        )
    )
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as fh:
        fh.write(script)
    try:
        out = subprocess.run(["node", fh.name], capture_output=True, text=True, timeout=60)
        return json.loads(out.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}
    finally:
        os.unlink(fh.name)


def ours() -> dict[str, object]:
    from aiposture.redteam.converters.catalog import CONVERTERS
    from aiposture.redteam.probes.catalog import all_probes, expand_prompts
    from aiposture.redteam.report.base import WRITERS
    from aiposture.redteam.scorers.catalog import SCORERS
    from aiposture.redteam.strategies.catalog import STRATEGIES

    probes = all_probes()
    prompts = sum(len(expand_prompts(p, 0)) for p in probes)
    return {
        "probes": f"{len(probes)} probes / {prompts} prompts in 9 categories",
        "converters": f"{len(CONVERTERS.names())} (chainable)",
        "scorers": len(SCORERS.names()),
        "multi_turn": ", ".join(s for s in STRATEGIES.names() if s != "single"),
        "formats": ", ".join(WRITERS.names()),
        "sarif": True,
        "junit": True,
        "gate": "--fail-on-asr overall or per category",
        "remote": "none (runs offline)",
    }


def coverage() -> list[str]:
    files = fetch_peers()
    rows = {
        "aiposture": ours(),
        f"garak {PEERS['garak']}": garak_counts(files["garak"]),
        f"PyRIT {PEERS['pyrit']}": pyrit_counts(files["pyrit"]),
        f"promptfoo {PROMPTFOO}": promptfoo_counts(files["promptfoo"]),
    }
    keys = [
        ("probes", "probes / plugins"),
        ("converters", "converters / buffs / strategies"),
        ("scorers", "scorers / detectors"),
        ("multi_turn", "multi-turn"),
        ("formats", "report formats"),
        ("sarif", "SARIF"),
        ("junit", "JUnit XML"),
        ("gate", "CI gating"),
        ("remote", "generation service"),
    ]
    lines = ["| | " + " | ".join(rows) + " |", "| --- |" + " --- |" * len(rows)]
    for key, label in keys:
        cells = []
        for row in rows.values():
            value = row.get(key, "local")
            cells.append(("yes" if value else "no") if isinstance(value, bool) else str(value))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


# --- garak on the same target ----------------------------------------------------------------------------

GARAK_PROBES = (
    "promptinject.HijackHateHumans,encoding.InjectBase64,dan.Dan_11_0,latentinjection.LatentInjectionReport"
)


def garak() -> list[str]:
    venv = ROOT / "benchmarks" / ".venv-garak" / "bin" / "python"
    if not venv.exists():
        return [
            "garak: not run (no benchmarks/.venv-garak; `python -m venv benchmarks/.venv-garak && "
            "benchmarks/.venv-garak/bin/pip install garak==0.17.1`)"
        ]
    lines = []
    with LocalTarget() as target, tempfile.TemporaryDirectory() as tmp:
        options = {
            "openai": {
                "OpenAICompatible": {
                    "uri": target.url,
                    "model": "contoso-copilot",
                    "api_key": "dummy",
                    "suppressed_params": ["n"],
                }
            }
        }
        opt_file = Path(tmp) / "gen.json"
        opt_file.write_text(json.dumps(options))
        env = {
            **os.environ,
            "OPENAI_API_KEY": "dummy",
            "HOME": tmp,
            "XDG_DATA_HOME": tmp,
            "HF_HUB_OFFLINE": "1",
        }
        cmd = [str(venv), "-m", "garak", "--target_type", "openai.OpenAICompatible", "--target_name",
               "contoso-copilot", "--generator_option_file", str(opt_file), "--probes", GARAK_PROBES,
               "--generations", "1", "--parallel_attempts", "32", "--report_prefix", "rt"]  # fmt: skip
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200, cwd=tmp)
        output = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
        (WORK / "garak_output.txt").write_text(output)
        secs = time.perf_counter() - started
        attempts = sum(
            1
            for p in Path(tmp).rglob("rt.report.jsonl")
            for line in p.open()
            if '"entry_type": "attempt"' in line and '"status": 2' in line
        )
        lines.append(
            f"garak {PEERS['garak']}: rc={proc.returncode}, {attempts} scored attempts in {secs:.1f}s "
            f"({attempts / secs if secs else 0:.1f} attempts/s) on probes {GARAK_PROBES}"
        )
        lines += [
            f"  {line}"
            for line in output.splitlines()
            if re.search(r"(PASS|FAIL|rror|failed|No module)", line) and "it/s" not in line
        ][-25:]
    return lines


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    sections = {"throughput": throughput, "coverage": coverage, "garak": garak}
    for name, fn in sections.items():
        if what in (name, "all"):
            print(f"\n## {name}\n")
            print("\n".join(fn()))


if __name__ == "__main__":
    main()
