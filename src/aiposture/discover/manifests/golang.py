"""Go modules: go.mod `require` lines and blocks (versions are always exact)."""

from __future__ import annotations

from collections.abc import Iterator

from aiposture.discover.base import MalformedInput
from aiposture.discover.manifests.dependency import Dependency


def go_mod(text: str) -> Iterator[Dependency]:
    if "module" not in text and "require" not in text:
        raise MalformedInput("go.mod: no module or require directive")
    in_block = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("//", 1)[0].strip()
        if in_block:
            if line.startswith(")"):
                in_block = False
                continue
            fields = line.split()
        elif line.startswith("require"):
            rest = line[len("require"):].strip()
            if rest.startswith("("):
                in_block = True
                continue
            fields = rest.split()
        else:
            continue
        if len(fields) >= 2:
            yield Dependency("golang", fields[0].strip('"'), fields[1], number, pinned=True)
