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

    def mentions(self, other: IacResource) -> bool:
        """Does this resource's body refer to `other` (by any of its tokens)?"""
        text = self.dump()
        return any(token and contains_token(text, token) for token in other.refs)


@dataclass
class Template:
    iac: str  # terraform | arm | bicep | cloudformation
    resources: list[IacResource]
    # Lazily loaded text of the rest of the deployment unit (the module's other files),
    # searched by cross-resource checks when this file alone does not decide.
    context: Callable[[], str] | None = None


def _ident(ch: str) -> bool:
    return ch.isalnum() or ch in "_-"


def contains_token(text: str, token: str) -> bool:
    """`token` occurs in `text` and is not part of a longer identifier, so that
    `azurerm_cognitive_account.ai` does not match `...account.aix`."""
    start = text.find(token)
    end_len = len(token)
    while start != -1:
        before_ok = start == 0 or not (_ident(token[0]) and _ident(text[start - 1]))
        after = start + end_len
        after_ok = after >= len(text) or not (_ident(token[-1]) and _ident(text[after]))
        if before_ok and after_ok:
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
