"""Import statements per language, found with linear-time RE2 patterns.

The patterns are generic (any `import`, `from ... import`, `require(...)`, `using ...;`,
Go import blocks); which modules are AI is the catalogue's job. Each result is the module
name as written and the character offset of the statement, for a line number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

import re2

LANGUAGE_OF_SUFFIX: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "javascript",
    ".tsx": "javascript",
    ".mts": "javascript",
    ".cts": "javascript",
    ".java": "java",
    ".kt": "java",  # Kotlin imports JVM packages with the same syntax
    ".kts": "java",
    ".scala": "java",
    ".cs": "csharp",
    ".go": "go",
}

# A literal that must occur before any pattern of the language can match (cheap pre-check).
KEYWORD: dict[str, tuple[str, ...]] = {
    "python": ("import",),
    "javascript": ("import", "require", "from"),
    "java": ("import",),
    "csharp": ("using",),
    "go": ("import",),
}

_PATTERNS: dict[str, str] = {
    # `from X import (a,\n b)` (groups 1, 2), `from X import a, b` (1, 3), `import a.b as c, d` (4)
    "python": (r"(?m)^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import[ \t]*"
               r"(?:\(([^)]{0,1000})\)|([^\n#;(]{0,500}))|import[ \t]+([^\n#;]{1,500}))"),
    "javascript": r"""\b(?:from|import|require)\s*\(?\s*['"`]([^'"`\s]{1,200})['"`]""",
    "java": r"(?m)^[ \t]*import[ \t]+(?:static[ \t]+)?([A-Za-z_][\w.]*)",
    "csharp": (r"(?m)^[ \t]*(?:global[ \t]+)?using[ \t]+(?:static[ \t]+)?(?:\w+[ \t]*=[ \t]*)?"
               r"([A-Za-z_][\w.]*)[ \t]*;"),
    "go": r"""(?m)^[ \t]*import[ \t]+(?:[\w.]+[ \t]+)?"([^"\n]{1,300})"|\bimport[ \t]*\(([^)]*)\)""",
}
_GO_BLOCK_ITEM = r'"([^"\n]{1,300})"'


# Counted repeats ({0,1000}) need more than RE2's default 8 MiB of DFA memory; without it
# RE2 falls back to its slow NFA and logs an error on every search.
_OPTIONS = re2.Options()
_OPTIONS.max_mem = 64 << 20


@cache
def _compiled(language: str) -> re2._Regexp:
    return re2.compile(_PATTERNS[language], _OPTIONS)


@cache
def _go_item() -> re2._Regexp:
    return re2.compile(_GO_BLOCK_ITEM)


def _python_names(rest: str) -> Iterator[tuple[str, int]]:
    """Modules of `import a.b as c, d` (offsets relative to `rest`)."""
    pos = 0
    for part in rest.split(","):
        name = part.split()[0].strip("()") if part.split() else ""
        if name and (name[0].isalpha() or name[0] == "_"):
            yield name, pos
        pos += len(part) + 1


def _python(match: re2._Match) -> Iterator[tuple[str, int]]:
    """`from google import genai` yields google.genai (and google): the SDK may be the
    package or a sub-module imported by name."""
    if match.group(1):
        module, offset = match.group(1), match.start(1)
        for name, _ in _python_names(match.group(2) or match.group(3) or ""):
            if name != "*":
                yield f"{module}.{name}", offset
        yield module, offset
    else:
        for name, rel in _python_names(match.group(4)):
            yield name, match.start(4) + rel


def _single(match: re2._Match) -> Iterator[tuple[str, int]]:
    yield match.group(1), match.start(1)


def _go(match: re2._Match) -> Iterator[tuple[str, int]]:
    if match.group(1):
        yield match.group(1), match.start(1)
        return
    base = match.start(2)
    for item in _go_item().finditer(match.group(2)):
        yield item.group(1), base + item.start(1)


_EXTRACT: dict[str, Callable[[re2._Match], Iterator[tuple[str, int]]]] = {
    "python": _python,
    "javascript": _single,
    "java": _single,
    "csharp": _single,
    "go": _go,
}


def find_imports(text: str, language: str) -> Iterator[tuple[str, int]]:
    """Yield (module, offset) for every import statement of `language` in `text`."""
    if not any(word in text for word in KEYWORD[language]):
        return
    extract = _EXTRACT[language]
    for match in _compiled(language).finditer(text):
        yield from extract(match)
