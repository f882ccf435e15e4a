"""Secrets benchmark: aiposture's `secrets` detector vs detect-secrets, same corpus.

    .venv/bin/python benchmarks/secrets_bench.py [--n 100]

The corpus is generated here (seeded): for each secret type, N texts holding a value in
the provider's documented format (random characters) inside an .env line, YAML, JSON,
Python, a curl command or a chat message; and a negative set of look-alikes that are
not secrets — placeholders, documentation sample keys, git SHAs, SHA-256 and MD5
digests, UUIDs, base64 images, SSH public keys, URLs without passwords, ordinary code.
detect-secrets 1.5 runs in benchmarks/.venv-detect-secrets (scan_file, default plugins
and filters). Recall: the value is found (for aiposture: with the right type; for
detect-secrets: any finding on the value's line — it reports lines, not spans). False
positives: negative texts with any finding.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv-detect-secrets"
WORK = ROOT / "work"
ALNUM = string.ascii_letters + string.digits


def rnd(r: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(r.choice(alphabet) for _ in range(n))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def pem(r: random.Random) -> str:
    body = base64.b64encode(r.randbytes(600)).decode()
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    kind = r.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    return f"-----BEGIN {kind}-----\n{lines}\n-----END {kind}-----"


# type -> (variable name, value generator)
SECRETS = {
    "AWS_ACCESS_KEY": ("AWS_ACCESS_KEY_ID", lambda r: "AKIA" + rnd(r, 16, string.ascii_uppercase + "234567")),
    "AWS_SECRET_KEY": ("aws_secret_access_key", lambda r: rnd(r, 40, ALNUM + "/+")),
    "GITHUB_TOKEN": ("GITHUB_TOKEN", lambda r: r.choice(["ghp_", "gho_", "ghs_"]) + rnd(r, 36)),
    "GITLAB_TOKEN": ("GITLAB_TOKEN", lambda r: "glpat-" + rnd(r, 20, ALNUM + "_-")),
    "SLACK_TOKEN": ("SLACK_BOT_TOKEN", lambda r: f"xoxb-{rnd(r, 11, string.digits)}-"
                                                 f"{rnd(r, 12, string.digits)}-{rnd(r, 24)}"),
    "STRIPE_KEY": ("STRIPE_SECRET_KEY", lambda r: "sk_live_" + rnd(r, 24)),
    "GOOGLE_API_KEY": ("GOOGLE_API_KEY", lambda r: "AIza" + rnd(r, 35, ALNUM + "_-")),
    "AZURE_STORAGE_KEY": ("AZURE_STORAGE_CONNECTION_STRING", lambda r: "DefaultEndpointsProtocol=https;"
                          f"AccountName=contoso{r.randint(1, 99)};AccountKey={rnd(r, 86, ALNUM + '+/')}==;"
                          "EndpointSuffix=core.windows.net"),
    "OPENAI_API_KEY": ("OPENAI_API_KEY", lambda r: "sk-proj-" + rnd(r, 74, ALNUM + "_-") + "T3BlbkFJ"
                       + rnd(r, 74, ALNUM + "_-")),
    "ANTHROPIC_API_KEY": ("ANTHROPIC_API_KEY", lambda r: "sk-ant-api03-" + rnd(r, 93, ALNUM + "_-") + "AA"),
    "HUGGINGFACE_TOKEN": ("HF_TOKEN", lambda r: "hf_" + rnd(r, 34)),
    "GROQ_API_KEY": ("GROQ_API_KEY", lambda r: "gsk_" + rnd(r, 48)),
    "OPENROUTER_API_KEY": ("OPENROUTER_API_KEY", lambda r: "sk-or-v1-" + rnd(r, 64, "0123456789abcdef")),
    "JWT": ("ACCESS_TOKEN", lambda r: b64url(b'{"alg":"HS256","typ":"JWT"}') + "."
            + b64url(json.dumps({"sub": str(r.randint(1, 10**9)), "name": "Jane"}).encode()) + "."
            + b64url(r.randbytes(32))),
    "PRIVATE_KEY": ("PRIVATE_KEY", pem),
    "DATABASE_URL": ("DATABASE_URL", lambda r: f"postgresql://app:{rnd(r, 16, ALNUM + '!#%')}"
                     f"@db{r.randint(1, 9)}.internal:5432/orders"),
    "GENERIC_SECRET": ("client_secret", lambda r: rnd(r, 32, ALNUM + "_-")),
}
CONTEXT_ONLY = {"AWS_SECRET_KEY", "GENERIC_SECRET"}  # need their variable name: no prose or bare header

TEMPLATES = [
    "{name}={value}\n",
    "config:\n  {name}: \"{value}\"\n  region: eu-west-1\n",
    "{{\n  \"{name}\": \"{value}\",\n  \"timeout\": 30\n}}\n",
    "import os\n\n{name} = \"{value}\"\nclient = Client({name})\n",
    "curl https://api.example.com/v1/items -H \"Authorization: Bearer {value}\"\n",
]
PROSE = ["Hi! My deploy fails with 401, here is the key I use: {value} — what is wrong?\n",
         "Can you check why this does not work?\n{value}\nThanks.\n"]


def negatives(r: random.Random, n: int) -> list[str]:
    makers = [
        lambda: "OPENAI_API_KEY=sk-...\nANTHROPIC_API_KEY=<your key here>\n",
        lambda: "password = os.environ['DB_PASSWORD']\ntoken = get_secret('api-token')\n",
        lambda: ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
                 "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
        lambda: f"commit {rnd(r, 40, '0123456789abcdef')}\nAuthor: Jane <jane@contoso.com>\n",
        lambda: f"sha256: {rnd(r, 64, '0123456789abcdef')}\nmd5 {rnd(r, 32, '0123456789abcdef')}\n",
        lambda: (f"request_id: {uuid.UUID(int=r.getrandbits(128))}\n"
                 f"trace: {uuid.UUID(int=r.getrandbits(128))}\n"),
        lambda: f"<img src=\"data:image/png;base64,{base64.b64encode(r.randbytes(150)).decode()}\">\n",
        lambda: f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{rnd(r, 43, ALNUM + '+/')} jane@laptop\n",
        lambda: "DATABASE_URL=postgresql://db.internal:5432/orders\npassword: ${DB_PASSWORD}\n",
        lambda: "def token_count(text: str) -> int:\n    return len(text.split())\n",
        lambda: "Please summarise the attached quarterly report and list the three largest risks.\n",
        lambda: (f"version = \"{r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}\"\n"
                 f"build = {r.randint(1000, 99999)}\n"),
        lambda: "Set the GITHUB_TOKEN secret in the repository settings, then re-run the workflow.\n",
        lambda: ("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE" + rnd(r, 40, ALNUM)
                 + "\n-----END PUBLIC KEY-----\n"),
    ]
    return [r.choice(makers)() for _ in range(n)]


def corpus(n: int, seed: int) -> list[dict]:
    r = random.Random(seed)
    rows = []
    for kind, (name, gen) in SECRETS.items():
        for i in range(n):
            value = gen(r)
            pool = TEMPLATES[:4] if kind in CONTEXT_ONLY else TEMPLATES + PROSE  # the name is their evidence
            if kind == "PRIVATE_KEY":
                pool = ["{value}\n", "key: |\n  {value}\n",
                        "Here is my key, why does ssh refuse it?\n{value}\n"]
            text = r.choice(pool).format(name=name, value=value)
            start = text.index(value)
            rows.append({"id": f"{kind}-{i}", "type": kind, "text": text, "start": start,
                         "end": start + len(value), "line": text.count("\n", 0, start) + 1})
    rows += [{"id": f"NEG-{i}", "type": None, "text": t} for i, t in enumerate(negatives(r, n * 4))]
    return rows


def peer_python() -> Path:
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "detect-secrets==1.5.0"], check=True)
    return py


def run_ours(rows: list[dict]) -> tuple[dict, float]:
    from aiposture.detect.secrets import SecretsDetector

    det = SecretsDetector()
    det.detect("warm up ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d")
    spent = float("inf")
    for _ in range(3):  # CPU time, like the peer's runner
        t0 = time.process_time()
        found = [det.detect(row["text"]) for row in rows]
        spent = min(spent, time.process_time() - t0)
    return {row["id"]: dets for row, dets in zip(rows, found, strict=True)}, spent


def run_peer(path: Path) -> tuple[dict, float]:
    dst = WORK / "secrets_detect_secrets.jsonl"
    subprocess.run([str(peer_python()), str(ROOT / "peers" / "detect_secrets_run.py"), str(path), str(dst)],
                   check=True)
    out, spent = {}, 0.0
    for line in dst.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if "_timing" in rec:
            spent = rec["_timing"]
        else:
            out[rec["id"]] = rec["findings"]
    return out, spent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    rows = corpus(args.n, args.seed)
    path = WORK / "secrets_corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ours, t_ours = run_ours(rows)
    theirs, t_theirs = run_peer(path)
    print(f"\nCorpus: {sum(1 for r in rows if r['type'])} secrets in {len(SECRETS)} types, "
          f"{sum(1 for r in rows if not r['type'])} negative texts\n")
    print("| type | n | aiposture recall (right type) | detect-secrets recall (value's line flagged) |")
    print("| --- | --- | --- | --- |")
    for kind in SECRETS:
        sample = [r for r in rows if r["type"] == kind]
        mine = sum(any(d.type == kind and d.start < r["end"] and r["start"] < d.end for d in ours[r["id"]])
                   for r in sample)
        peer = sum(any(r["line"] <= f["line"] <= r["line"] + r["text"].count("\n", r["start"], r["end"])
                       for f in theirs[r["id"]]) for r in sample)
        print(f"| {kind} | {len(sample)} | {mine / len(sample):.2f} | {peer / len(sample):.2f} |")
    positives = [r for r in rows if r["type"]]
    wrong = sum(1 for r in positives for d in ours[r["id"]]
                if not (d.start < r["end"] and r["start"] < d.end and d.type == r["type"]))
    neg = [r for r in rows if not r["type"]]
    fp_ours = sum(1 for r in neg if ours[r["id"]])
    fp_peer = sum(1 for r in neg if theirs[r["id"]])
    print("\n| | aiposture | detect-secrets |\n| --- | --- | --- |")
    print(f"| negative texts flagged (of {len(neg)}) | {fp_ours} ({fp_ours / len(neg):.1%}) | "
          f"{fp_peer} ({fp_peer / len(neg):.1%}) |")
    print(f"| extra or mistyped detections in positive texts | {wrong} | n/a |")
    chars = sum(len(r["text"].encode()) for r in rows)
    print(f"| throughput, MB/s (one core) | {chars / t_ours / 1e6:.2f} | {chars / t_theirs / 1e6:.3f} |")
    print(f"| CPU time for {len(rows)} texts, s | {t_ours:.3f} | {t_theirs:.2f} |")


if __name__ == "__main__":
    main()
