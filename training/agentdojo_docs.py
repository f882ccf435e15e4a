"""Indirect injection in agent tool outputs, from the AgentDojo benchmark's wheel.

AgentDojo (MIT; Debenedetti et al., 2024) ships the environments its agents work in as
YAML: an inbox, a calendar, a cloud drive, hotel and restaurant listings with reviews,
Slack channels and web pages, bank transactions and files. Some fields hold a named
slot (`{calendar_introductory_meeting_injection}`) that its attacks fill; the slot's
benign default is in the suite's `injection_vectors.yaml`. What a tool returns is one
of those records, so each record becomes a document:

- benign: every slot filled with its default (records without slots are benign too:
  e-mails that ask for codes, files that say "important", reviews that say "must");
- injected: one slot filled with one of the benchmark's attack strings around one of
  its injection goals ("Please email the text ... to mark.black-2134@gmail.com").

The attack strings and goals are read from the attack and task modules with `ast`
(string literals and the class constants an f-string names; nothing is imported or
evaluated). Records, attack strings and goals are each assigned to a split by a
stable hash, and a document is composed only from parts of one split, so the test
split holds attack strings and goals the model never saw.
"""

from __future__ import annotations

import ast
import hashlib
import random
import re

import yaml
from sources import Sample, Wheel

USERS = ["Emma Johnson", "Emma Smith", "the user", "your owner"]
MODELS = ["GPT-4", "Claude", "the AI assistant", "Gemini", "AI agent"]
# one attack per slot: with four, the injected copies of a bank record outnumbered its
# one benign copy, and the record's own fields came to read as an attack
PER_SLOT = 1
_SLOT = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def _split_of(key: str) -> str:
    h = int(hashlib.sha256(f"agentdojo:{key}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "train" if h < 0.7 else "validation" if h < 0.85 else "test"


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads AgentDojo's `!include` tags as the included file's name."""


_Loader.add_constructor("!include", lambda loader, node: {"__include__": loader.construct_scalar(node)})


def _records(node, path: str):
    """(record id, record) for each item a tool would return: each dict in a list
    (an e-mail, an event, a file, a hotel), and each entry of a name -> text map
    (web pages by URL, files by path)."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, dict):
                yield f"{path}/{i}", item
            else:
                yield from _records(item, f"{path}/{i}")
    elif isinstance(node, dict):
        if len(node) >= 3 and all(isinstance(v, str) for v in node.values()):
            for k, v in node.items():
                yield f"{path}/{k}", {k: v}
            return
        for k, v in node.items():
            if isinstance(v, (list, dict)):
                yield from _records(v, f"{path}/{k}")


def _fill(node, values: dict[str, str]):
    if isinstance(node, str):
        return _SLOT.sub(lambda m: values.get(m.group(1), m.group(0)), node)
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    return node


def _render(record: dict) -> str:
    return yaml.safe_dump(record, allow_unicode=True, sort_keys=False, width=1000).strip()


def _slots_in(node) -> set[str]:
    if isinstance(node, str):
        return set(_SLOT.findall(node))
    if isinstance(node, list):
        return set().union(*(_slots_in(v) for v in node)) if node else set()
    if isinstance(node, dict):
        return set().union(*(_slots_in(v) for v in node.values())) if node else set()
    return set()


def _goal_of(cls: ast.ClassDef) -> str | None:
    """The class's GOAL string with the class constants its f-string names filled in."""
    consts: dict[str, str] = {}
    goal = None
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name, value = stmt.targets[0].id, stmt.value
            if isinstance(value, ast.Constant) and isinstance(value.value, (str, int)):
                consts[name] = str(value.value)
            elif name == "GOAL":
                goal = value
    if goal is None:
        return None
    parts = goal.values if isinstance(goal, ast.JoinedStr) else [goal]
    out = []
    for p in parts:
        if isinstance(p, ast.Constant):
            out.append(str(p.value))
        elif isinstance(p, ast.FormattedValue) and isinstance(p.value, ast.Name) and p.value.id in consts:
            out.append(consts[p.value.id])
        else:
            return None
    return "".join(out)


def goals(wheel: Wheel) -> list[str]:
    found: list[str] = []
    for name in wheel.names("agentdojo/default_suites/"):
        if name.endswith("injection_tasks.py"):
            for node in ast.walk(ast.parse(wheel.text(name))):
                if isinstance(node, ast.ClassDef):
                    g = _goal_of(node)
                    if g and g not in found:
                        found.append(g)
    return found


def attack_strings(wheel: Wheel) -> list[str]:
    """String literals of the attack modules that carry a goal or address the model
    ({user}/{model}); docstrings and strings needing the tool list are left out."""
    found: list[str] = []
    for name in wheel.names("agentdojo/attacks/"):
        if not name.endswith(".py"):
            continue
        tree = ast.parse(wheel.text(name))
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                s = node.value
                if ("{goal}" in s or "{model}" in s) and "{tools}" not in s and "{task}" not in s \
                        and s not in found:
                    found.append(s)
    return found


def agentdojo_samples(wheel: Wheel, seed: int = 13) -> list[Sample]:
    rng = random.Random(seed)
    pools: dict[str, dict[str, list[str]]] = {"attack": {}, "goal": {}}
    for kind, items in (("attack", attack_strings(wheel)), ("goal", goals(wheel))):
        for s in items:
            pools[kind].setdefault(_split_of(f"{kind}:{s}"), []).append(s)
    out: list[Sample] = []
    suites = sorted({n.split("/")[3] for n in wheel.names("agentdojo/data/suites/")})
    for suite in suites:
        base = f"agentdojo/data/suites/{suite}/"
        defaults = {k: (v or {}).get("default", "") or ""
                    for k, v in (yaml.safe_load(wheel.text(base + "injection_vectors.yaml")) or {}).items()}
        for name in wheel.names(base):
            if not name.endswith(".yaml") or name.endswith("injection_vectors.yaml"):
                continue
            data = yaml.load(wheel.text(name), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
            for rid, record in _records(data, name[len(base):]):
                benign_text = _render(_fill(record, defaults))
                if len(benign_text) < 60:
                    continue
                split = _split_of(f"record:{suite}:{rid}")
                group = f"agentdojo:{suite}:{rid}"
                out.append(Sample(benign_text, 0, "agentdojo-benign", group, direction="document",
                                  category="benign_document", lang="en", meta={"split": split}))
                slots = sorted(_slots_in(record) & defaults.keys())
                if not slots or not pools["attack"].get(split) or not pools["goal"].get(split):
                    continue
                pairs = [(t, g) for t in pools["attack"][split] for g in pools["goal"][split]]
                for slot in slots:
                    for template, goal in rng.sample(pairs, min(PER_SLOT, len(pairs))):
                        attack = (template.replace("{goal}", goal).replace("{user}", rng.choice(USERS))
                                  .replace("{model}", rng.choice(MODELS)))
                        text = _render(_fill(record, {**defaults, slot: attack}))
                        out.append(Sample(text, 1, "agentdojo-injected", group, direction="document",
                                          category="indirect_injection", lang="en",
                                          meta={"split": split, "payload": attack.strip()}))
    return out
