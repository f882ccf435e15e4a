"""Casbin (pycasbin) model of the same rules as the shipped Cedar example policies,
timed per request end to end: attributes built from the raw request (catalog lookup,
glob grants, scopes, time, network) and `enforce`. Runs in benchmarks/.venv-casbin.

argv: requests.jsonl (first line: {"catalog": {...}}) out.jsonl core
Writes one {"allowed": bool, "ns": int} line per request."""

import json
import os
import sys
import time
from datetime import UTC, datetime
from fnmatch import fnmatchcase

import casbin
from casbin.model import Model

MODEL = """
[request_definition]
r = sub, obj, act, ctx

[policy_definition]
p = act, cond, eft, id

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = (p.act == "*" || r.act == p.act) && eval(p.cond)
"""

RULES = [
    ("*", "(r.sub.kind == 'user' or r.ctx.delegated) and not r.ctx.terms_accepted", "deny", "ca-terms-of-use"),
    ("*", "r.ctx.user_risk == 'high'", "deny", "ca-user-risk-high"),
    ("*", "r.sub.status != 'active'", "deny", "inactive-principal"),
    ("invoke_model", "not r.obj.approved", "deny", "models-approved-only"),
    ("invoke_model", "r.obj.external and r.ctx.sensitivity >= 3", "deny", "models-restricted-data-stays-inside"),
    ("invoke_model", "(r.sub.kind == 'user' or r.sub.kind == 'app') and r.obj.approved", "allow",
     "models-people-and-apps"),
    ("invoke_model", "r.sub.kind == 'agent' and r.ctx.granted", "allow", "models-agent-registry"),
    ("call_tool", "r.ctx.granted", "allow", "tools-registry"),
    ("call_tool", "r.ctx.in_scope", "allow", "tools-scope"),
    ("call_tool", "r.sub.kind == 'agent' and r.sub.name == 'invoice-agent' and 'finance' in r.obj.groups", "allow",
     "invoice-agent-finance"),
    ("call_tool", "r.sub.app == 'support-copilot' and r.obj.name == 'send_email' and r.ctx.to.endswith('@contoso.com')",
     "allow", "support-internal-mail"),
    ("call_tool", "r.sub.kind == 'agent' and 'operations' in r.obj.groups and (r.ctx.granted or r.ctx.in_scope)",
     "allow", "operations-need-approval"),
    ("call_tool", "'operations' in r.obj.groups and not (r.ctx.weekday <= 5 and r.ctx.hour >= 8 and r.ctx.hour < 18)",
     "deny", "operations-business-hours"),
    ("call_tool", "'operations' in r.obj.groups and not (r.ctx.has_ip and (ipMatch(r.ctx.ip, '10.0.0.0/8') or "
     "ipMatch(r.ctx.ip, '192.168.0.0/16')))", "deny", "operations-corporate-network"),
    ("call_tool", "'finance' in r.obj.groups and r.ctx.has_amount and r.ctx.amount > 10000", "deny", "finance-limit"),
]
SENSITIVITY = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}


class Attrs:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def build(req, catalog):
    p, ctx, args = req["principal"], req["context"], req.get("arguments") or {}
    name = req["resource"]
    if req["action"] == "invoke_model":
        entry = next((m for m in catalog["models"] if fnmatchcase(name, m["match"])), None)
        obj = Attrs(name=name, approved=bool(entry and entry.get("approved")),
                    external=entry.get("external", True) if entry else True, groups=[])
        globs, prefix = p.get("models", ["*"]), "model:"
    else:
        groups = [g for t in catalog["tools"] if fnmatchcase(name, t["match"]) for g in t.get("groups", [])]
        obj = Attrs(name=name, groups=groups, approved=False, external=False)
        globs, prefix = p.get("tools", []), "tool:"
    moment = datetime.fromisoformat(ctx["time"]).astimezone(UTC)
    scopes = ctx.get("scopes", [])
    amount = args.get("amount")
    c = Attrs(
        delegated=bool(ctx.get("on_behalf_of")), terms_accepted=bool(ctx.get("terms_accepted")),
        user_risk=ctx.get("user_risk", "unknown"), sensitivity=SENSITIVITY[ctx.get("sensitivity", "public")],
        granted=any(fnmatchcase(name, g) for g in globs),
        in_scope=any(s.startswith(prefix) and fnmatchcase(name, s[len(prefix):]) for s in scopes),
        hour=moment.hour, weekday=moment.isoweekday(), has_ip="source_ip" in ctx,
        ip=ctx.get("source_ip", "0.0.0.0"), has_amount=amount is not None,
        amount=int(amount) if amount is not None else 0, to=str(args.get("to", "")),
    )
    sub = Attrs(name=p["name"], kind=p.get("kind", "agent"), app=p.get("app") or p["name"],
                status=p.get("status", "active"))
    return sub, obj, req["action"], c


def main():
    src, dst, core = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.sched_setaffinity(0, {core})
    model = Model()
    model.load_model_from_text(MODEL)
    enforcer = casbin.Enforcer(model)
    for rule in RULES:
        enforcer.add_policy(*rule)
    with open(src, encoding="utf-8") as f:
        catalog = json.loads(f.readline())["catalog"]
        requests = [json.loads(line) for line in f]
    for req in requests[:500]:  # warm up
        enforcer.enforce(*build(req, catalog))
    out = []
    clock = time.perf_counter_ns
    for req in requests:
        t0 = clock()
        allowed = enforcer.enforce(*build(req, catalog))
        out.append((allowed, clock() - t0))
    with open(dst, "w", encoding="utf-8") as f:
        for allowed, ns in out:
            f.write(json.dumps({"allowed": allowed, "ns": ns}) + "\n")


if __name__ == "__main__":
    main()
