"""PEP 508 requirement strings ("openai[datalib]>=1.3,<2 ; python_version>'3.8'") as pip
writes them in requirements files, pyproject arrays and `pip install` lines.

`packaging` would parse these, but it is not a dependency of ours and it raises on the
sloppy lines real files hold; this reader only needs the name and the version spec and
never fails: what it cannot read it leaves out.
"""

from __future__ import annotations

from functools import cache

import re2

_REQUIREMENT = r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(\(?\s*(?:===?|~=|!=|<=?|>=?)[^;#@]*)?"


@cache
def _pattern() -> re2._Regexp:
    return re2.compile(_REQUIREMENT)


def parse_requirement(text: str) -> tuple[str, str | None, bool] | None:
    """(name, version, pinned) of one requirement string, or None if it is not one.
    version is the exact version for `==X` / `===X`, else the spec as written."""
    match = _pattern().match(text)
    if match is None:
        return None
    name = match.group(1)
    spec = (match.group(2) or "").strip().strip("()").strip().replace(" ", "")
    if not spec:
        return name, None, False
    if spec.startswith(("==", "===")) and "," not in spec and "*" not in spec:
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
