"""Loading policy folders: every malformed file is refused with one line naming the
file and the policy; the holder hot-reloads on change and keeps the last good set."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from access_fixtures import SHIPPED, Who, copy_shipped

from aiposture.errors import InputError
from aiposture.identity.access import AccessPolicy, AccessPolicyHolder, AccessRequest

GOOD = '@id("all-search")\npermit (principal, action == Action::"call_tool", resource == Tool::"search_kb");\n'


def _folder(tmp_path, text, name="p.cedar"):
    folder = tmp_path / "pol"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("text,message", [
    ("permit (principal, action, resource) when { x };", "p.cedar: cannot parse Cedar: invalid variable: x"),
    ("permit (principal, acti", "cannot parse Cedar"),
    ('@id("a")\npermit (principal, action, resource) when { context.nope == 1 };',
     "p.cedar: policy 'a' does not validate against the schema: attribute `nope` in context"),
    ('@id("b")\npermit (principal is Robot, action, resource);', "policy 'b' does not validate"),
    ('@id("c")\npermit (principal, action == Action::"launch_missiles", resource);', "unrecognized action"),
    ('@id("d")\npermit (principal, action, resource) when { context.source_ip.isIpv4() };',
     "optional attribute `source_ip`"),
    ("permit (principal, action, resource);", "every policy needs an @id"),
    ('@id("has space")\npermit (principal, action, resource);', "every policy needs an @id"),
    ('@id("e")\npermit (principal == ?principal, action, resource);', "templates"),
    ('@id("f")\n@approval("maybe")\npermit (principal, action, resource);', "@approval must be"),
    ('@id("g")\n@approval("waived")\nforbid (principal, action, resource);', "only means something on a permit"),
    (GOOD + GOOD, "policy id 'all-search' is already used in p.cedar"),
])
def test_malformed_policies_are_refused_in_one_line(tmp_path, text, message):
    with pytest.raises(InputError) as exc:
        AccessPolicy.load(_folder(tmp_path, text))
    assert message in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("body,message", [
    ("(" * 1000 + "true" + ")" * 1000, "brackets nested more than 64 deep"),
    ("[" * 1000 + "]" * 1000 + " == []", "brackets nested more than 64 deep"),
    (" || ".join(["true"] * 30_000), "nests more than 120 levels"),
    (" + ".join(["1"] * 30_000) + " == 1", "nests more than 120 levels"),
    (" || ".join(["context.hour == 9"] * 70), "nests more than 120 levels"),  # was Cedar's own JSON error
])
def test_deeply_nested_policies_are_refused_not_a_crash(tmp_path, body, message):
    # Cedar's parser recurses per level: these used to overflow the stack and kill the
    # process (a gateway reloading such a file would die), so the check runs in a child
    folder = _folder(tmp_path, '@id("deep")\npermit (principal, action, resource) when { ' + body + " };")
    done = subprocess.run([sys.executable, "-m", "aiposture.cli", "policy", "validate", str(folder)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, (done.returncode, done.stderr[-300:])
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_folder_problems(tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        AccessPolicy.load(tmp_path / "missing")
    with pytest.raises(InputError, match="no \\*.cedar policy files"):
        AccessPolicy.load(tmp_path)
    with pytest.raises(InputError, match="not UTF-8"):
        (tmp_path / "bin.cedar").write_bytes(b"\xff\xfe\x00")
        AccessPolicy.load(tmp_path)


def test_duplicate_ids_across_files_name_both(tmp_path):
    folder = _folder(tmp_path, GOOD, "a.cedar")
    (folder / "b.cedar").write_text(GOOD, encoding="utf-8")
    with pytest.raises(InputError, match="b.cedar: policy id 'all-search' is already used in a.cedar"):
        AccessPolicy.load(folder)


def test_a_binary_catalog_is_not_utf8_text(tmp_path):
    folder = _folder(tmp_path, GOOD)
    (folder / "catalog.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="catalog.yaml: not UTF-8 text$"):
        AccessPolicy.load(folder)


@pytest.mark.parametrize("catalog,message", [
    ("models: [{match: x, colour: red}]", "models.0.colour"),
    ("timezone: Mars/Olympus", "unknown time zone"),
    ("tools: [{match: t, risk: [explodes]}]", "unknown risk class 'explodes'"),
    ("{{{{", "not valid YAML"),
    ("a: " + "[" * 100_000 + "]" * 100_000, "YAML nested too deeply"),
])
def test_bad_catalogs_are_refused(tmp_path, catalog, message):
    folder = _folder(tmp_path, GOOD)
    (folder / "catalog.yaml").write_text(catalog, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        AccessPolicy.load(folder)


@pytest.mark.parametrize("schema,message", [
    ("{not json", "not JSON"),
    ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
    ('{"": {"entityTypes": {"User": {"memberOfTypes": ["Nope"]}}, "actions": {}}}', "not a valid Cedar schema"),
    ('{"": {"entityTypes": {}, "actions": {}}}', "must declare the common type ToolArguments"),
])
def test_bad_folder_schemas_are_refused(tmp_path, schema, message):
    folder = _folder(tmp_path, GOOD)
    (folder / "aiposture.cedarschema.json").write_text(schema, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        AccessPolicy.load(folder)


def test_a_folder_schema_can_type_more_arguments(tmp_path):
    import json

    from aiposture.shipped import read_data_text

    doc = json.loads(read_data_text("identity", "aiposture.cedarschema.json"))
    doc[""]["commonTypes"]["ToolArguments"]["attributes"]["ticket"] = {"type": "Long", "required": False}
    folder = _folder(tmp_path, '@id("t")\npermit (principal, action, resource) when '
                               '{ context.arguments has ticket && context.arguments.ticket < 100 };')
    (folder / "aiposture.cedarschema.json").write_text(json.dumps(doc), encoding="utf-8")
    policy = AccessPolicy.load(folder)
    assert policy.authorize(AccessRequest(Who("a"), "call_tool", "search_kb", {"ticket": "42"})).allowed
    assert not policy.authorize(AccessRequest(Who("a"), "call_tool", "search_kb", {"ticket": 420})).allowed


def _touch(path, text):
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_holder_hot_reloads_and_keeps_the_last_good_set(tmp_path, caplog):
    folder = copy_shipped(tmp_path / "live")
    holder = AccessPolicyHolder(folder, check_every_s=0)
    agent = Who("a", tools=["search_kb"])
    first = holder.policy
    assert first is not None and holder.error is None
    assert first.authorize(AccessRequest(agent, "call_tool", "search_kb")).allowed
    assert holder.policy is first  # unchanged files: the same set, no reload

    _touch(folder / "extra.cedar", '@id("no-search")\nforbid (principal, action, resource == Tool::"search_kb");')
    second = holder.policy
    assert second is not first
    assert not second.authorize(AccessRequest(agent, "call_tool", "search_kb")).allowed

    _touch(folder / "extra.cedar", "forbid (principal, action, resource) when { oops };")
    with caplog.at_level("WARNING"):
        assert holder.policy is second
    assert "keeping the last good set" in caplog.text
    assert "extra.cedar: cannot parse Cedar" in holder.error

    (folder / "extra.cedar").unlink()
    third = holder.policy
    assert third is not second and holder.error is None
    assert third.authorize(AccessRequest(agent, "call_tool", "search_kb")).allowed


def test_holder_without_a_path_has_no_policy_and_a_first_bad_load_keeps_none(tmp_path, caplog):
    assert AccessPolicyHolder(None).policy is None
    holder = AccessPolicyHolder(_folder(tmp_path, "nonsense"), check_every_s=0)
    assert holder.policy is None and "cannot parse Cedar" in holder.error
    # there was no good set to keep: the gateway's start-up error is the only line a user sees
    assert "keeping the last good set" not in caplog.text


def test_shipped_set_loads_with_ids_reasons_and_approval_marks():
    policy = AccessPolicy.load(SHIPPED)
    assert all(p.reason for p in policy.policies.values())
    assert policy.policies["support-internal-mail"].approval == "waived"
    assert policy.policies["operations-need-approval"].approval == "required"
    assert policy.policies["ca-terms-of-use"].context_attrs == ("delegated", "terms_accepted")


@pytest.mark.parametrize("condition,top,arguments", [
    ("context.hour > 8 && context.arguments has amount && context.arguments.amount > 1",
     {"hour", "arguments"}, {"amount"}),
    ("context has source_ip && context.source_ip.isLoopback()", {"source_ip"}, set()),
    ("[context.arguments].contains(context.arguments)", {"arguments"}, None),
    ("[context].contains(context)", None, None),
])
def test_cedar_gets_only_the_context_the_policies_read(tmp_path, condition, top, arguments):
    folder = _folder(tmp_path, f'@id("r")\npermit (principal, action, resource) when {{ {condition} }};')
    policy = AccessPolicy.load(folder)
    want_top = None if top is None else frozenset(top)
    want_args = None if arguments is None else frozenset(arguments)
    assert policy.loaded.context_reads() == (want_top, want_args)
    req = AccessRequest(Who("a"), "call_tool", "t", {"amount": 5, "to": "x"}, {"source_ip": "127.0.0.1"})
    prepared = policy.prepare(req)
    sent = prepared.request["context"]
    if top is None:
        assert sent == prepared.context
    else:
        assert set(sent) <= top and set(sent) < set(prepared.context)
    if arguments is not None and "arguments" in sent:
        assert set(sent["arguments"]) <= arguments
    # the validated mode sends everything and decides the same
    full = AccessPolicy.load(folder, validate_requests=True)
    assert full.prepare(req).request["context"] == full.prepare(req).context
    assert full.authorize(req).allowed == policy.authorize(req).allowed
