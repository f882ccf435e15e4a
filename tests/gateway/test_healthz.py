"""`/healthz` reports a refused edit of the access folder or the policy file: the
gateway keeps serving on the last good version (still 200), and the check says which
file, why, since when and what is in force."""

from __future__ import annotations

import os

import httpx
from toolfakes import AGENT_TOOLS, call, chat_answer, write_policies


def _touch(path, text):
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a different mtime for sure


def _tool_calls(gw, key):
    gw.upstream.fake.replies.append({"json": chat_answer(call(1, "search_kb", {"q": "vpn"}))})
    resp = httpx.post(f"{gw.server.url}/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                      json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "help"}]})
    assert resp.status_code == 200, resp.text
    return [c["function"]["name"] for c in resp.json()["choices"][0]["message"].get("tool_calls") or []]


def _health(gw):
    resp = httpx.get(f"{gw.server.url}/healthz")
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_broken_access_edit_is_degraded_and_the_last_good_set_stays(gateway, tmp_path):
    folder = write_policies(tmp_path / "access")
    gw = gateway(config={"access": str(folder)})
    gw.app.state.gateway.tools.access.check_every_s = 0
    key = gw.principals.add("ops-agent", "agent", owner="alice", tools=AGENT_TOOLS)[1]
    healthy = _health(gw)
    assert healthy["status"] == "ok" and healthy["checks"]["access"]["status"] == "ok"
    assert healthy["checks"]["access"]["in_force"]["files"] == ["tools.cedar"]

    _touch(folder / "tools.cedar", "forbid (principal, action, resource) when { oops };")
    health = _health(gw)  # no request came in between: /healthz itself ran the due reload
    access = health["checks"]["access"]
    assert health["status"] == "degraded" and access["status"] == "degraded"
    assert access["file"] == str(folder / "tools.cedar")
    assert access["error"].startswith("cannot parse Cedar") and "\n" not in access["error"]
    assert access["since"] and access["in_force"]["loaded_at"] <= access["since"]
    assert access["in_force"]["policies"] == 7 and health["checks"]["policy"]["status"] == "ok"
    assert _tool_calls(gw, key) == ["search_kb"]  # the last good set still decides

    since = access["since"]
    _touch(folder / "tools.cedar", "permit (principal, action, resource);")  # still broken: no @id
    again = _health(gw)["checks"]["access"]
    assert again["since"] == since and "every policy needs an @id" in again["error"]

    write_policies(folder)
    _touch(folder / "tools.cedar", (folder / "tools.cedar").read_text())
    fixed = _health(gw)
    assert fixed["status"] == "ok" and "since" not in fixed["checks"]["access"]


def test_a_catalog_error_without_a_path_names_the_changed_file(gateway, tmp_path):
    folder = write_policies(tmp_path / "access")
    gw = gateway(config={"access": str(folder)})
    gw.app.state.gateway.tools.access.check_every_s = 0
    _touch(folder / "catalog.yaml", "tools:\n  - {match: search_kb, risk: [no-such-risk]}\n")
    access = _health(gw)["checks"]["access"]
    assert access["status"] == "degraded" and access["file"] == str(folder / "catalog.yaml")
    assert "unknown risk class 'no-such-risk'" in access["error"]


def test_a_broken_policy_edit_is_reported_the_same_way(gateway):
    gw = gateway()
    healthy = _health(gw)
    assert healthy["status"] == "ok" and healthy["policy_error"] is None and list(healthy["checks"]) == ["policy"]
    assert healthy["checks"]["policy"] == {"status": "ok", "file": str(gw.policy_path),
                                           "in_force": {"id": "contoso", "loaded_at": healthy["checks"]["policy"]
                                                        ["in_force"]["loaded_at"]}}
    _touch(gw.policy_path, "id: [broken")
    health = _health(gw)
    policy = health["checks"]["policy"]
    assert health["status"] == "degraded" and "not valid YAML" in health["policy_error"]
    assert policy["status"] == "degraded" and policy["file"] == str(gw.policy_path)
    assert "not valid YAML" in policy["error"] and policy["since"] and policy["in_force"]["id"] == "contoso"
