"""Loading a folder of `*.cedar` files into one validated policy set.

Every policy must carry an `@id("...")` annotation, unique in the folder: decisions
name policies by it. Optional annotations: `@reason("...")` (the sentence a person
reads when the policy decides) and `@approval("required" | "waived")` (see
`access.py` for the approval rule). A file that does not parse, a policy that does not
validate against the schema, a template, or a missing/duplicate id refuses the whole
folder with one line naming the file and the policy.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import cedarpy
import re2

from aiposture.errors import InputError
from aiposture.identity.cedar_schema import CedarSchema

MAX_POLICY_FILE_BYTES = 1 << 20
MAX_POLICY_FILES = 500
MAX_NESTING = 64  # ( [ { in one file
# the parsed policy's JSON nests two levels per operator of a chain `a || b || …`; the policy
# set is built from JSON, which Cedar (serde_json) reads at most 128 levels deep
MAX_EST_DEPTH = 120
PARSE_STACK_BYTES = 256 << 20
_STACK_LOCK = threading.Lock()
APPROVAL_VALUES = ("required", "waived")
RECORD_ATTRS = ("arguments",)  # context attributes that are records
_ID = re2.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


@dataclass(frozen=True)
class PolicyInfo:
    id: str
    effect: str  # "permit" | "forbid"
    file: str
    reason: str
    approval: str | None
    context_attrs: tuple[str, ...]  # context attributes the policy reads


@dataclass
class LoadedPolicies:
    policy_set: cedarpy.PolicySet
    policies: dict[str, PolicyInfo] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    # every forbid's scope (principal, action, resource) as an unconditional permit under
    # the same id: which forbids a request was checked against, for explanations
    forbid_scopes: cedarpy.PolicySet | None = None

    def context_reads(self) -> tuple[frozenset[str] | None, frozenset[str] | None]:
        """(top-level context attributes, tool argument names) some policy reads; None: all."""
        reads = {a for p in self.policies.values() for a in p.context_attrs}
        if "*" in reads:
            return None, None
        top = frozenset(a.partition(".")[0] for a in reads)
        if "arguments.*" in reads:
            return top, None
        return top, frozenset(a.partition(".")[2] for a in reads if a.startswith("arguments."))


def _context_attrs(node, found: set[str]) -> None:
    """Collect what a policy reads of the context from its JSON form: `context.X` and
    `context has X` as "X", `context.X.Y` / `context.X has Y` as "X.Y"; a bare
    `context` as "*" and a bare `context.X` as "X.*" (the whole record)."""
    consumed: set[int] = set()
    contexts, records = [], []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item == {"Var": "context"}:
                contexts.append(item)
            for op in (".", "has"):
                body = item.get(op)
                if not isinstance(body, dict) or "attr" not in body:
                    continue
                left = body.get("left")
                consumed.add(id(left))
                if left == {"Var": "context"}:
                    found.add(body["attr"])
                    if op == "." and body["attr"] in RECORD_ATTRS:
                        records.append((item, body["attr"]))
                elif isinstance(left, dict) and left.get(".", {}).get("left") == {"Var": "context"}:
                    found.add(f"{left['.'].get('attr')}.{body['attr']}")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    if any(id(c) not in consumed for c in contexts):
        found.add("*")
    found.update(f"{attr}.*" for access, attr in records if id(access) not in consumed)


def _read(path: Path) -> str:
    if path.stat().st_size > MAX_POLICY_FILE_BYTES:
        raise InputError(f"{path}: larger than {MAX_POLICY_FILE_BYTES} bytes")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def _bracket_depth(text: str) -> int:
    """The deepest nesting of ( [ { outside string literals and // comments."""
    depth = deepest = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "/" and text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                break
        elif c in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")]}":
            depth -= 1
        i += 1
    return deepest


def _est_depth(value: object) -> int:
    """How deeply a parsed policy (JSON) nests, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _on_a_deep_stack(fn, *args):
    """Run `fn` in a thread with a large stack: Cedar's parser recurses per operator, and a
    stack overflow in Rust kills the whole process instead of raising."""
    out: dict = {}

    def run() -> None:
        try:
            out["value"] = fn(*args)
        except BaseException as exc:  # handed back to the caller's thread
            out["error"] = exc

    with _STACK_LOCK:
        previous = threading.stack_size(PARSE_STACK_BYTES)
        try:
            worker = threading.Thread(target=run, name="cedar-parse")
            worker.start()
        finally:
            threading.stack_size(previous)
    worker.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def _parse_file(path: Path, text: str) -> dict:
    if _bracket_depth(text) > MAX_NESTING:
        raise InputError(f"{path}: cannot parse Cedar: brackets nested more than {MAX_NESTING} deep")
    try:
        doc = json.loads(_on_a_deep_stack(cedarpy.policies_to_json_str, text))
    except RecursionError:
        doc = None
    except ValueError as exc:
        raise InputError(f"{path}: cannot parse Cedar: {str(exc).splitlines()[0]}") from None
    if doc is None or _est_depth(doc) > MAX_EST_DEPTH:
        raise InputError(f"{path}: cannot parse Cedar: an expression nests more than {MAX_EST_DEPTH} levels "
                         "(too deep, or too long a chain of operators: split the policy)")
    if doc.get("templates"):
        raise InputError(f"{path}: policy templates (?principal/?resource) are not supported; write static policies")
    return doc.get("staticPolicies", {})


def _validate(path: Path, text: str, schema: CedarSchema) -> None:
    result = cedarpy.validate_policies(text, schema.handle)
    if result.validation_passed:
        return
    first = result.errors[0]
    names = result.id_annotations_by_policy_id
    who = names.get(first.policy_id) or first.policy_id or "?"
    message = first.error.split(", ", 1)[-1] if first.error.startswith("for policy") else first.error
    raise InputError(f"{path}: policy {who!r} does not validate against the schema: {message}")


def _info(path: Path, est: dict, seen: dict[str, PolicyInfo]) -> PolicyInfo:
    notes = est.get("annotations") or {}
    pid = notes.get("id")
    if not pid or not _ID.match(pid):
        raise InputError(f"{path}: every policy needs an @id(\"...\") of letters, digits and ._:- (one has {pid!r})")
    if pid in seen:
        raise InputError(f"{path}: policy id {pid!r} is already used in {seen[pid].file}")
    approval = notes.get("approval")
    if approval is not None and approval not in APPROVAL_VALUES:
        raise InputError(f"{path}: policy {pid!r}: @approval must be \"required\" or \"waived\", not {approval!r}")
    if approval is not None and est.get("effect") != "permit":
        raise InputError(f"{path}: policy {pid!r}: @approval only means something on a permit policy")
    attrs: set[str] = set()
    _context_attrs(est.get("conditions", []), attrs)
    return PolicyInfo(id=pid, effect=est["effect"], file=path.name, reason=notes.get("reason", ""),
                      approval=approval, context_attrs=tuple(sorted(attrs)))


def policy_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of *.cedar policy files")
    files = sorted(p for p in folder.glob("*.cedar") if p.is_file())
    if len(files) > MAX_POLICY_FILES:
        raise InputError(f"{folder}: more than {MAX_POLICY_FILES} policy files")
    return files


def load_policies(folder: Path, schema: CedarSchema) -> LoadedPolicies:
    files = policy_files(folder)
    if not files:
        raise InputError(f"{folder}: no *.cedar policy files")
    infos: dict[str, PolicyInfo] = {}
    static: dict[str, dict] = {}
    for path in files:
        text = _read(path)
        policies = _parse_file(path, text)
        _validate(path, text, schema)
        for est in policies.values():
            info = _info(path, est, infos)
            infos[info.id] = info
            static[info.id] = est
    doc = {"staticPolicies": static, "templates": {}, "templateLinks": []}
    scopes = {pid: {**est, "effect": "permit", "conditions": []} for pid, est in static.items()
              if est["effect"] == "forbid"}
    scope_doc = {"staticPolicies": scopes, "templates": {}, "templateLinks": []}
    return LoadedPolicies(policy_set=cedarpy.PolicySet.from_json_str(json.dumps(doc)), policies=infos, files=files,
                          forbid_scopes=cedarpy.PolicySet.from_json_str(json.dumps(scope_doc)))
