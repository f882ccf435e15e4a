"""Resource facts: the RE2 glob matcher, the shipped tool risk classes (each with tools
it must and must not catch), and the catalog's first-match and override rules."""

from __future__ import annotations

import pytest

from aiposture.identity.cedar_catalog import Catalog, CatalogFile, globs_match, risk_classes


@pytest.mark.parametrize("globs,name,hit", [
    (("search_kb",), "search_kb", True),
    (("search_kb",), "search_kbx", False),
    (("*",), "anything/at all", True),
    (("payments/*",), "payments/refund", True),
    (("payments/*",), "payments", False),
    (("restart_?",), "restart_a", True),
    (("restart_?",), "restart_ab", False),
    (("tool[12]",), "tool2", True),
    (("tool[!12]",), "tool2", False),
    (("tool[!12]",), "tool3", True),
    (("a.b",), "axb", False),  # regex metacharacters are literal
    (("a+b",), "aab", False),
    (("(x)",), "(x)", True),
    (("Send_Email",), "send_email", True),  # case-insensitive
    ((), "x", False),
    (("x", "y*"), "yes", True),
])
def test_glob_semantics(globs, name, hit):
    assert globs_match(globs, name) is hit


def test_globs_are_linear_on_hostile_names():
    assert not globs_match(("*a*a*a*a*a*a*a*b",), "a" * 50_000)


RISK_EXAMPLES = {
    "sends-data-outside": (["send_email", "gmail/send_message", "slack_post", "upload_file", "crm/export_contacts",
                            "http_post", "post_webhook", "reply_to_ticket"],
                           ["search_kb", "read_file", "get_weather", "read_email", "search_mail"]),
    "changes-configuration": (["deploy_service", "k8s/kubectl_apply", "delete_user", "update_config",
                               "grant_role", "run_shell", "k8s/apply_config_map", "assign_role"],
                              ["list_users", "get_config_docs", "search_kb", "list_roles", "check_permission"]),
    "spends-money": (["payments/refund", "stripe/create_payment", "purchase_licence", "transfer_funds",
                      "provision_vm"], ["search_kb", "get_balance", "list_invoices_pdf"]),
}


def test_every_risk_class_has_examples_it_catches_and_spares():
    classes = {c.id: c for c in risk_classes()}
    assert set(classes) == set(RISK_EXAMPLES)
    for cid, (hits, misses) in RISK_EXAMPLES.items():
        globs = tuple(classes[cid].tools)
        assert classes[cid].title and classes[cid].rationale
        assert [h for h in hits if not globs_match(globs, h)] == [], cid
        assert [m for m in misses if globs_match(globs, m)] == [], cid


def test_catalog_first_match_groups_and_overrides():
    catalog = Catalog(CatalogFile.model_validate({
        "models": [{"match": "gpt-4o-mini", "approved": False}, {"match": "gpt-4o*", "approved": True,
                                                                   "external": True, "provider": "openai"}],
        "tools": [{"match": "payments/*", "groups": ["finance"]}, {"match": "payments/refund", "groups": ["money"],
                                                                   "risk": []},
                  {"match": "payments/*", "risk": ["changes-configuration"]}],
    }))
    assert not catalog.model("gpt-4o-mini").approved and catalog.model("gpt-4o").approved
    unknown = catalog.model("mystery")
    assert (unknown.approved, unknown.external) == (False, True)
    refund = catalog.tool("payments/refund")
    assert refund.groups == ["finance", "money"] and refund.risk == [] and refund.server == "payments"
    assert catalog.tool("payments/charge").risk == ["changes-configuration"]
    assert catalog.tool("send_email").risk == ["sends-data-outside"] and catalog.tool("send_email").server == ""
    assert catalog.tool("send_email").risk_titles == ["sends data outside"]
