"""The end user's registered record, as the access policy reads it.

One function for the gateway (`gateway/toolcalls_caller.make_caller`, at run time)
and `aiposture policy test --registry`, so a decision tried on the command line is the
decision the gateway makes: the registered user a request is judged for is the end
user it names (on whose behalf an agent acts) or, with none named, a user principal
calling for itself; that user's own attributes `user_risk` and `terms_accepted` set the
request context and win over what the calling app says (a header, a flag).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RISKS = ("low", "medium", "high")


def truthy(value: Any) -> bool:
    """A yes from a header, a flag or a registry attribute (True, "true", "yes", "1")."""
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"))


def end_user_record(principal: Any, end_user: Any, lookup: Callable[[str], Any]) -> Any | None:
    """The registered user the request is judged for, or None (an end user the
    registry does not know, or an app or agent acting for nobody)."""
    if isinstance(end_user, str) and end_user:
        person = lookup(end_user)
    else:
        person = principal if getattr(principal, "kind", None) == "user" else None
    return person if person is not None and getattr(person, "kind", None) == "user" else None


def end_user_context(person: Any | None) -> dict[str, Any]:
    """The context values the user's record sets: only those it holds, so a value the
    caller gave stays where the record is silent."""
    attrs = getattr(person, "attributes", None) or {}
    out: dict[str, Any] = {}
    risk = attrs.get("user_risk")
    if isinstance(risk, str) and risk.lower() in RISKS:
        out["user_risk"] = risk.lower()
    if "terms_accepted" in attrs:
        out["terms_accepted"] = truthy(attrs["terms_accepted"])
    return out
