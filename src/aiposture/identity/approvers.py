"""Who may decide a held tool call: one rule for the CLI, the gateway's API and Python.

Four eyes: the requesting principal and the end user it acted for never decide their
own request. Otherwise a person accountable for the requester (its owner or one of its
sponsors, named on its identity) may decide, and so may a registered user principal
carrying the attribute `approver: true`. A registered approver must be of kind `user`
and active (not disabled, expired or overdue for attestation). Owners and sponsors are
people's names and need not be registered principals; when they are, the same kind and
status rules apply to them.
"""

from __future__ import annotations

from aiposture.errors import InputError
from aiposture.identity.principals import Principal

APPROVER_FLAGS = (True, "true", "yes")


class NotAnApprover(InputError):
    """The named person may not decide this approval; the message says why."""


def approver_problem(
    name: str, approver: Principal | None, requester: Principal | None, principal: str, end_user: str | None
) -> str | None:
    """Why `name` may not decide a request made by `principal` (for `end_user`), or None.

    `approver` and `requester` are the registered principals of those names, if any."""
    if name in (principal, end_user):
        return "the requester (or the user it acts for) cannot approve its own request"
    if approver is not None:
        if approver.kind != "user":
            return f"only people decide approvals; {name!r} is of kind {approver.kind!r}"
        reason = approver.status_reason()
        if reason:
            return reason
        if approver.attributes.get("approver") in APPROVER_FLAGS:
            return None
    if requester is not None and name in requester.accountable():
        return None
    return f"{name!r} is neither an owner or sponsor of {principal!r} nor a registered approver"
