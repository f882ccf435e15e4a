"""`aiposture policy test|validate`: try access requests against a folder of Cedar
policies and see why they are allowed, denied or held for approval.

Exit codes: 0 when every decision was made (allow or deny alike) and matched its
`expect`; 1 when `--fail-on-deny` is given and a request is denied, or a request's
`expect` (or `--expect`) differs from the decision; 2 on bad input (policy folder,
request file, flags)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer

from aiposture.commands.common import DbOption, run_command, stdout_console
from aiposture.errors import InputError
from aiposture.identity.access import AccessDecision, AccessPolicy
from aiposture.identity.cedar_request import RequestDoc, outcome, parse_request_docs, read_request_file
from aiposture.identity.end_user import end_user_context, end_user_record
from aiposture.identity.secrets_mask import mask_arguments

app = typer.Typer(help="Test and validate Cedar access policies.", no_args_is_help=True)

PoliciesOption = Annotated[
    Path | None,
    typer.Option("--policies", "-p", help="Folder of *.cedar files (default: the shipped example set).",
                 envvar="AIPOSTURE_ACCESS_POLICIES"),
]


def shipped_policies() -> Path:
    return Path(str(resources.files("aiposture").joinpath("data", "identity", "policies")))


def _pairs(values: list[str] | None, what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InputError(f"{what} {item!r}: write KEY=VALUE")
        try:
            out[key] = json.loads(raw)  # numbers, booleans, lists, objects
        except json.JSONDecodeError:
            out[key] = raw
    return out


def _flag_request(o: dict) -> RequestDoc:
    if not o["principal"] or not o["action"] or not o["resource"]:
        raise InputError("give --request FILE, or --principal, --action and --resource")
    context = _pairs(o["context"], "--context")
    for key, value in (("time", o["time"]), ("source_ip", o["ip"]), ("user_risk", o["user_risk"]),
                       ("sensitivity", o["sensitivity"]), ("on_behalf_of", o["on_behalf_of"])):
        if value is not None:
            context[key] = value
    if o["terms_accepted"]:
        context["terms_accepted"] = True
    if o["scope"]:
        context["scopes"] = list(o["scope"])
    principal: dict[str, Any] = {"name": o["principal"], "kind": o["kind"], "app": o["app_name"],
                                 "sponsors": o["sponsor"] or [], "attributes": _pairs(o["attr"], "--attr")}
    if o["tools"] is not None:
        principal["tools"] = [t for t in o["tools"].split(",") if t]
    if o["models"] is not None:
        principal["models"] = [m for m in o["models"].split(",") if m]
    doc = {"principal": principal, "action": o["action"], "resource": o["resource"],
           "arguments": _pairs(o["arg"], "--arg"), "context": context}
    return parse_request_docs(doc, "flags")[0]


def _from_registry(doc: RequestDoc, principals: Any) -> RequestDoc:
    """The principal as registered, and the context its end user's record sets (the
    end user `on_behalf_of` names, or a user principal itself), as the gateway reads
    them at run time (`identity.end_user`): the record wins over --user-risk and
    --terms-accepted, as it wins over the calling app's headers."""
    found = principals.get(doc.principal.name)
    if found is None:
        raise InputError(f"no principal {doc.principal.name!r} in the registry")
    person = end_user_record(found, doc.context.get("on_behalf_of"), principals.get)
    return doc.model_copy(update={"principal": found, "context": {**doc.context, **end_user_context(person)}})


def _registry(db: str | None) -> Any:
    from aiposture.config import Settings
    from aiposture.identity.principals import Principals
    from aiposture.store.database import Store

    return Principals(Store.open(Settings().database_url(db)))


def _values(values: dict) -> str:
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in values.items())


def _render(doc: RequestDoc, decision: AccessDecision, ok: bool, checked: list[dict]) -> None:
    verdict = outcome(decision.allowed, decision.needs_approval)
    label = {"allow": "[green]ALLOW[/]", "deny": "[red]DENY[/]", "approval": "[yellow]ALLOW after approval[/]"}
    title = f" {doc.name}" if doc.name else ""
    stdout_console.print(f"{label[verdict]}{title}  {doc.action} {doc.resource!r} by {doc.principal.name!r}",
                         highlight=False, soft_wrap=True)
    for reason in decision.reasons:
        typer.echo(f"  - {reason}")
    if decision.context_used:
        typer.echo(f"  context read: {_values(mask_arguments(decision.context_used))}")
    for item in checked:
        read = f" ({_values(item['context'])})" if item["context"] else ""
        typer.echo(f"  not forbidden by {item['id']}{read}")
    if decision.risk:
        typer.echo(f"  tool risk: {decision.risk}")
    if not ok:
        typer.echo(f"  expected {doc.expect}, got {verdict}")


def _evaluate(policy: AccessPolicy, docs: list[RequestDoc], expect: str | None, fail_on_deny: bool,
              table: bool) -> tuple[list[dict], bool]:
    """Decide each request; (results, whether the gate trips)."""
    failed, results = False, []
    for doc in docs:
        if expect and not doc.expect:
            doc = doc.model_copy(update={"expect": expect})
        # bad values raise here: bad input (exit 2), not a silent deny
        decision, checked = policy.explain(doc.to_request())
        checked = [{**c, "context": mask_arguments(c["context"])} for c in checked]
        verdict = outcome(decision.allowed, decision.needs_approval)
        ok = doc.expect in (None, verdict)
        failed |= not ok or (fail_on_deny and not decision.allowed)
        results.append({"name": doc.name, "action": doc.action, "resource": doc.resource,
                        "principal": doc.principal.name, "outcome": verdict, "expected": doc.expect,
                        **decision.to_dict(), "context_used": mask_arguments(decision.context_used),
                        "not_forbidden_by": checked})
        if table:
            _render(doc, decision, ok, checked)
    return results, failed


@app.command("test")
def test(
    request: Annotated[Path | None, typer.Option("--request", "-r", help="JSON file: one request or a list.")] = None,
    principal: Annotated[str | None, typer.Option("--principal", help="Principal name.")] = None,
    kind: Annotated[str, typer.Option("--kind", help="user, app or agent.")] = "agent",
    app_name: Annotated[str | None, typer.Option("--app", help="The principal's app.")] = None,
    tools: Annotated[str | None, typer.Option("--tools", help="Registered tool globs, comma-separated.")] = None,
    models: Annotated[str | None, typer.Option("--models", help="Registered model globs, comma-separated.")] = None,
    sponsor: Annotated[list[str] | None, typer.Option("--sponsor", help="A sponsor (repeat).")] = None,
    attr: Annotated[list[str] | None, typer.Option("--attr", help="Principal attribute KEY=VALUE.")] = None,
    registry: Annotated[bool, typer.Option(
        "--registry", help="Read the principal, and its end user's record, from the registry (--db).")] = False,
    action: Annotated[str | None, typer.Option("--action", help="invoke_model or call_tool.")] = None,
    resource: Annotated[str | None, typer.Option("--resource", help="Model id or tool name.")] = None,
    arg: Annotated[list[str] | None, typer.Option("--arg", help="Tool argument KEY=VALUE (JSON value).")] = None,
    context: Annotated[list[str] | None, typer.Option("--context", help="Context KEY=VALUE.")] = None,
    time: Annotated[str | None, typer.Option("--time", help="ISO 8601 time of the request.")] = None,
    ip: Annotated[str | None, typer.Option("--ip", help="Source IP address.")] = None,
    user_risk: Annotated[str | None, typer.Option("--user-risk", help="low, medium, high.")] = None,
    terms_accepted: Annotated[bool, typer.Option("--terms-accepted", help="The user accepted the terms.")] = False,
    sensitivity: Annotated[str | None, typer.Option("--sensitivity", help="public ... restricted.")] = None,
    scope: Annotated[list[str] | None, typer.Option("--scope", help="A scope of the request (repeat).")] = None,
    on_behalf_of: Annotated[str | None, typer.Option("--on-behalf-of", help="The end user.")] = None,
    expect: Annotated[str | None, typer.Option("--expect", help="allow, deny or approval: exit 1 if not.")] = None,
    fail_on_deny: Annotated[bool, typer.Option("--fail-on-deny", help="Exit 1 when a request is denied.")] = False,
    policies: PoliciesOption = None,
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Evaluate requests against the policies and explain each decision."""
    options = dict(locals())

    def body() -> None:
        if expect is not None and expect not in ("allow", "deny", "approval"):
            raise InputError(f"--expect {expect!r}: allow, deny or approval")
        if fmt not in ("table", "json"):
            raise InputError(f"--format {fmt!r}: table or json")
        policy = AccessPolicy.load(policies or shipped_policies())
        docs = read_request_file(request) if request else [_flag_request(options)]
        if registry:
            principals = _registry(db)
            docs = [_from_registry(d, principals) for d in docs]
        results, failed = _evaluate(policy, docs, expect, fail_on_deny, fmt == "table")
        if fmt == "json":
            typer.echo(json.dumps(results if request else results[0], indent=2, ensure_ascii=False))
        if failed:
            raise typer.Exit(1)

    run_command(body)


@app.command("validate")
def validate(folder: Annotated[Path, typer.Argument(help="Folder of *.cedar policy files.")]) -> None:
    """Parse and validate every policy in FOLDER against the schema."""

    def body() -> None:
        policy = AccessPolicy.load(folder)
        files = len({p.file for p in policy.policies.values()})
        typer.echo(f"ok: {len(policy.policies)} policies in {files} files validate against {policy.schema.source}")

    run_command(body)
