"""Misconfiguration checks over normalised IaC resources, in the manner of Checkov's
key/expected-value base check: the data (`checks.yaml`) names resource types, keys
and expected values; the three small classes below interpret it. A check returns
`None` when it cannot decide (the value is only known at deploy time), so every
finding is provable from the file itself."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cache
from typing import Any

from aiposture.discover.iac.catalog import CheckSpec, checks_by_type
from aiposture.discover.iac.resource import (
    MISSING,
    IacResource,
    Template,
    contains_token,
    get_path,
    is_unknown,
    scalar_text,
)


@dataclass(frozen=True)
class Outcome:
    check: CheckSpec
    passed: bool
    detail: str  # what was seen, e.g. "publicNetworkAccess = Enabled"


def _norm(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower()


def _empty(value: Any) -> bool:
    return value is None or value is MISSING or value == "" or value == {} or value == []


class Check(ABC):
    def __init__(self, spec: CheckSpec) -> None:
        self.spec = spec

    def evaluate(self, resource: IacResource, template: Template) -> Outcome | None:
        if not self._applies(resource):
            return None
        return self.test(resource, template)

    def _applies(self, resource: IacResource) -> bool:
        for path, allowed in self.spec.when.items():
            value = get_path(resource.body, path)
            if value is MISSING or is_unknown(value) or _norm(value) not in {_norm(a) for a in allowed}:
                return False
        return True

    def _outcome(self, passed: bool, detail: str) -> Outcome:
        return Outcome(self.spec, passed, detail)

    @abstractmethod
    def test(self, resource: IacResource, template: Template) -> Outcome | None: ...


class EqualsCheck(Check):
    """The first present key must hold one of the expected values; when no key is
    set, the service default decides (`missing: pass|fail`)."""

    def test(self, resource: IacResource, template: Template) -> Outcome | None:
        for key in self.spec.keys:
            value = get_path(resource.body, key)
            if value is MISSING or value is None:
                continue
            if is_unknown(value):
                return None
            ok = _norm(value) in {_norm(e) for e in self.spec.expected}
            return self._outcome(ok, f"{key} = {scalar_text(value)}")
        passed = self.spec.missing == "pass"
        default = "safe" if passed else "unsafe"
        return self._outcome(passed, f"{self.spec.keys[0]} not set (service default is {default})")


class PresentCheck(Check):
    """At least one of the keys must be set to something non-empty."""

    def test(self, resource: IacResource, template: Template) -> Outcome | None:
        for key in self.spec.keys:
            if not _empty(get_path(resource.body, key)):
                return self._outcome(True, f"{key} is set")
        return self._outcome(False, f"{' / '.join(self.spec.keys)} not set")


class ReferencedByCheck(Check):
    """Another resource of the same template (e.g. a private endpoint) must point at
    this one. Only the file itself is searched, plus sibling text the format adds."""

    def test(self, resource: IacResource, template: Template) -> Outcome | None:
        wanted = {t.lower() for t in self.spec.by_types}
        for other in template.referenced_by(resource):
            if other.type.lower() in wanted:
                return self._outcome(True, f"{other.address} targets it")
        context = template.context() if template.context else ""
        if context and any(f'"{t}"' in context for t in self.spec.by_types):
            if any(token and contains_token(context, token) for token in resource.refs):
                return self._outcome(True, "a resource in another file of the module targets it")
        return self._outcome(False, f"no {' / '.join(self.spec.by_types)} targets it in this template")


CHECK_KINDS: dict[str, type[Check]] = {
    "equals": EqualsCheck,
    "present": PresentCheck,
    "referenced_by": ReferencedByCheck,
}


@cache
def checks_for(rtype_lower: str) -> tuple[Check, ...]:
    return tuple(CHECK_KINDS[spec.test](spec) for spec in checks_by_type().get(rtype_lower, ()))


def evaluate(resource: IacResource, template: Template) -> list[Outcome]:
    """Every decided outcome of every check that applies to the resource's type."""
    outcomes = []
    for check in checks_for(resource.type.lower()):
        outcome = check.evaluate(resource, template)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes
