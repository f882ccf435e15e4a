"""PEP 508 requirement strings ("openai[datalib]>=1.3,<2 ; python_version>'3.8'") as pip
writes them in requirements files, pyproject arrays and `pip install` lines.

`packaging` would parse these, but it is not a dependency of ours and it raises on the
sloppy lines real files hold; this reader only needs the name and the version spec, never
fails (what it cannot read it leaves out), and uses no regex at all.
"""

from __future__ import annotations

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
_OPERATORS = ("===", "==", "~=", "!=", "<=", ">=", "<", ">")
MAX_NAME = 200


def parse_requirement(text: str) -> tuple[str, str | None, bool] | None:
    """(name, version, pinned) of one requirement string, or None if it is not one.
    version is the exact version for `==X` / `===X`, else the spec as written. Plain
    string scanning: it runs on every line of every requirements file."""
    text = text.strip()
    if not text or not text[0].isalnum():
        return None
    end = 0
    while end < len(text) and text[end] in _NAME_CHARS:
        end += 1
        if end > MAX_NAME:
            return None
    name, rest = text[:end], text[end:].lstrip()
    if rest.startswith("["):
        close = rest.find("]")
        rest = rest[close + 1:].lstrip() if close != -1 else ""
    spec = rest.split(";", 1)[0].strip().strip("()").replace(" ", "")
    if not spec.startswith(_OPERATORS):
        return name, None, False
    if spec.startswith("==") and "," not in spec and "*" not in spec:
        return name, spec.lstrip("="), True
    return name, spec, False


def requirement_lines(text: str) -> list[tuple[str, str | None, bool, int]]:
    """(name, version, pinned, line) for each requirement in a pip requirements file;
    options (-r, -e, --index-url), URLs and comments are skipped."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip().rstrip("\\").strip()  # "pkg==1 \\" continues with --hash
        if not line or line.startswith(("#", "-", "git+", "http:", "https:", "file:", ".", "/")):
            continue
        parsed = parse_requirement(line)
        if parsed is not None:
            found.append((*parsed, number))
    return found
