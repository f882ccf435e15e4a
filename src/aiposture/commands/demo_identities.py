"""The identities of the Contoso demo, registered in the demo's store before it is assessed,
so `assess` links the agents it finds in code to them and the identity checks have a
registry to read: a healthy, sponsored support agent; the invoice agent, registered two
months ago under another name (`discovered_as`) with monthly attestation nobody did, so
it is overdue; an operations agent with no code in the estate; and one approval request,
answered by a sponsor. The vendor research agent in agents/agents.yaml stays unregistered:
a shadow agent. Registered once: a later `aiposture demo` on the same store keeps what is
there (and what anyone changed since), name by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiposture.identity.approvals import Approvals
from aiposture.identity.blueprints import load_blueprint
from aiposture.identity.principals import Principals
from aiposture.store.database import Store
from aiposture.store.tables_identity import PrincipalRow

OVERDUE_AGENT = "invoice-agent"
REGISTERED_DAYS_AGO = 60


def _backdate(store: Store, name: str, days: int) -> None:
    """Demo history: the identity was registered `days` ago (and never attested since)."""
    with store.session() as s:
        row = s.get(PrincipalRow, name)
        row.created = datetime.now(UTC) - timedelta(days=days)


def register_demo_identities(store: Store) -> list[str]:
    """Register the demo's identities the store lacks; returns the names added. Each name
    is checked on its own: a store where someone already registered one of them (say an
    `ops-bot` of their own, or a look-alike `Ops_Bot` that registration would refuse
    next to it) keeps it, and the demo adds the others instead of failing on the
    duplicate half-way."""
    people = Principals(store)
    added = []
    if people.look_alike("support-triage") is None:
        people.add("support-triage", blueprint=load_blueprint("support-agent"), owner="maria@contoso.com",
                   sponsors=["dev.lead@contoso.com"], description="triages support tickets and drafts answers",
                   actor="maria@contoso.com")
        added.append("support-triage")
    if people.look_alike(OVERDUE_AGENT) is None:
        people.add(OVERDUE_AGENT, "agent", owner="alice@contoso.com", sponsors=["bob@contoso.com"],
                   tools=["read_email", "send_email", "send_payment"], models=["gpt-4o*"],
                   attributes={"discovered_as": "invoice_payer", "department": "finance"}, attest_every_days=30,
                   description="pays supplier invoices from the finance mailbox", actor="alice@contoso.com")
        _backdate(store, OVERDUE_AGENT, REGISTERED_DAYS_AGO)
        added.append(OVERDUE_AGENT)
    if people.look_alike("ops-bot") is None:
        people.add("ops-bot", blueprint=load_blueprint("ops-automation"), owner="sre@contoso.com",
                   sponsors=["oncall@contoso.com"], actor="sre@contoso.com")
        approvals = Approvals(store)
        held = approvals.request("ops-bot", "restart_service", {"service": "ticket-search"},
                                 reason="permitted by operations-need-approval: every operations call waits for a "
                                        "human", risk=None, timeout_s=1800)
        approvals.decide(held.id, "oncall@contoso.com", True, note="search is down, restart is the runbook step")
        added.append("ops-bot")
    return added
