"""One normalised shape for a cloud resource, whatever template language declared it.

Terraform, ARM, Bicep and CloudFormation differ in syntax but all declare typed
resources with a body of attributes. Each format module turns its file into a
`Template` of `IacResource`s whose `body` is plain JSON-like data, with every value
the scanner could not know statically (a variable without a default, a function
call, an interpolation) wrapped as `Expr`. Checks treat `Expr` as *unknown* and
stay silent rather than guess: a finding must be provable from the file.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MISSING = object()


class Expr(str):
    """A value known only at deploy time (kept as its source text)."""

    __slots__ = ()


@dataclass
class IacResource:
    type: str  # full type: azurerm_cognitive_account, Microsoft.Search/searchServices, AWS::Bedrock::Agent
    address: str  # unique within the file: TF `type.name`, Bicep symbol, CFN logical id, ARM type/name
    body: dict[str, Any]
    line: int | None = None
    name: str = ""  # deployed name when the file states it literally
    refs: tuple[str, ...] = ()  # tokens other resources use to point at this one
    parent: str | None = None  # address of the enclosing/parent resource (ARM nesting, Bicep parent)
    extra: dict[str, Any] = field(default_factory=dict)  # format facts (count, for_each, module source)
    _dump: str | None = field(default=None, repr=False)

    def dump(self) -> str:
        """The body as text, for reference search (computed once)."""
        if self._dump is None:
            self._dump = json.dumps(self.body, default=str, sort_keys=True)
        return self._dump



@dataclass
class Template:
    iac: str  # terraform | arm | bicep | cloudformation
    resources: list[IacResource]
    # Lazily loaded text of the rest of the deployment unit (the module's other files),
    # searched by cross-resource checks when this file alone does not decide.
    context: Callable[[], str] | None = None
    _forward: dict[int, set[int]] | None = field(default=None, repr=False)
    _reverse: dict[int, set[int]] = field(default_factory=dict, repr=False)
    _position: dict[int, int] = field(default_factory=dict, repr=False)

    def _maps(self) -> dict[int, set[int]]:
        if self._forward is None:
            self._forward = mention_map(self.resources)
            self._position = {id(r): i for i, r in enumerate(self.resources)}
            for i, targets in self._forward.items():
                for j in targets:
                    self._reverse.setdefault(j, set()).add(i)
        return self._forward

    def referenced_by(self, resource: IacResource) -> list[IacResource]:
        """The resources whose bodies mention `resource`."""
        self._maps()
        return [self.resources[i] for i in sorted(self._reverse.get(self._position[id(resource)], ()))]

    def references(self, resource: IacResource) -> list[IacResource]:
        """The resources that `resource`'s body mentions."""
        forward = self._maps()
        return [self.resources[j] for j in sorted(forward.get(self._position[id(resource)], ()))]


def mention_map(resources: list[IacResource]) -> dict[int, set[int]]:
    """i -> {j: resource i's body mentions a token of resource j}. All bodies are joined
    into one text and each token is searched once through it (C-speed `str.find`),
    instead of testing every pair of resources."""
    dumps = [r.dump() for r in resources]
    starts, pos = [], 0
    for d in dumps:
        starts.append(pos)
        pos += len(d) + 1
    big = "\x00".join(dumps)
    found: dict[int, set[int]] = {i: set() for i in range(len(resources))}
    for j, resource in enumerate(resources):
        for token in resource.refs:
            if not token:
                continue
            at = big.find(token)
            while at != -1:
                i = bisect_right(starts, at) - 1
                if _bounded(big, at, token):
                    if i != j:
                        found[i].add(j)
                    nxt = starts[i + 1] if i + 1 < len(starts) else len(big)
                    at = big.find(token, nxt)  # one hit per resource is enough
                else:
                    at = big.find(token, at + 1)
    return found


def _ident(ch: str) -> bool:
    return ch.isalnum() or ch in "_-"


def _bounded(text: str, start: int, token: str) -> bool:
    """The hit at `start` is not part of a longer identifier, so that
    `azurerm_cognitive_account.ai` does not match `...account.aix`."""
    before_ok = start == 0 or not (_ident(token[0]) and _ident(text[start - 1]))
    after = start + len(token)
    return before_ok and (after >= len(text) or not (_ident(token[-1]) and _ident(text[after])))


def contains_token(text: str, token: str) -> bool:
    """`token` occurs in `text` as a whole identifier (see `_bounded`)."""
    start = text.find(token)
    while start != -1:
        if _bounded(text, start, token):
            return True
        start = text.find(token, start + 1)
    return False


def get_path(body: Any, path: str) -> Any:
    """The value at a dotted path, or MISSING. Lists of one-or-more blocks (how HCL
    and some templates write nested blocks) are entered through their first element."""
    node = body
    for part in path.split("."):
        while isinstance(node, list) and node:
            node = node[0]
        if isinstance(node, dict):
            node = _get_ci(node, part)
            if node is MISSING:
                return MISSING
        else:
            return MISSING
    return node


def _get_ci(node: dict[str, Any], key: str) -> Any:
    """Templates are case-insensitive in practice (ARM property names are)."""
    if key in node:
        return node[key]
    low = key.lower()
    for k, v in node.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return MISSING


def is_unknown(value: Any) -> bool:
    return isinstance(value, Expr)


def scalar_text(value: Any, limit: int = 80) -> str:
    """A short, printable rendering of a configuration value for evidence."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict | list):
        text = json.dumps(value, default=str)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
