"""The gateway's token endpoint, JWKS, and access tokens on model routes, driven
through a real uvicorn server with httpx and the openai client."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import openai
import pytest
from sqlalchemy import update

from aiposture.identity.grants import ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE
from aiposture.store.tables_identity import PrincipalRow

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def _token(gw, form: dict, auth: tuple[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{gw.server.url}/oauth/token", data=form, auth=auth)


def _cc(gw, name: str, key: str, **extra) -> httpx.Response:
    return _token(gw, {"grant_type": "client_credentials", "client_id": name, "client_secret": key, **extra})


def _set(gw, name, **values):
    with gw.store.session() as s:
        s.execute(update(PrincipalRow).where(PrincipalRow.name == name).values(**values))


def _token_events(gw):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        events = [e for e in gw.events() if e["direction"] == "token"]
        if events:
            return events
        time.sleep(0.05)
    return []


def test_client_credentials_then_openai_client_with_jwt(gateway):
    gw = gateway()
    _, key = gw.principals.add("invoice-agent", "agent", models=["gpt-4o*"], tools=["search_kb"])
    resp = _cc(gw, "invoice-agent", key)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert resp.headers["cache-control"] == "no-store"
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["scope"] == "model:gpt-4o* tool:search_kb"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == claims["client_id"] == "invoice-agent" and claims["aud"] == "aiposture-gateway"
    answer = gw.openai(body["access_token"]).chat.completions.create(**CHAT)
    assert answer.choices[0].message.content
    chat = [e for e in gw.events() if e["direction"] == "prompt"][-1]
    assert chat["principal"] == "invoice-agent" and chat["data"]["token"]["jti"] == claims["jti"]
    issued = _token_events(gw)[0]
    assert issued["verdict"]["action"] == "allow" and issued["data"]["event"] == "token_issued"
    assert key not in str(gw.events()) and body["access_token"] not in str(gw.events())


def test_basic_auth_and_narrowed_scope(gateway):
    gw = gateway()
    _, key = gw.principals.add("bot", "agent", models=["gpt-*", "claude-*"])
    resp = _token(gw, {"grant_type": "client_credentials", "scope": "model:gpt-4o-mini"}, auth=("bot", key))
    assert resp.status_code == 200 and resp.json()["scope"] == "model:gpt-4o-mini"
    client = gw.openai(resp.json()["access_token"])
    client.chat.completions.create(**CHAT)
    with pytest.raises(openai.PermissionDeniedError, match="scope"):
        client.chat.completions.create(model="gpt-4o", messages=CHAT["messages"])


@pytest.mark.parametrize(
    "form, auth, status, error",
    [
        ({"grant_type": "client_credentials", "client_id": "bot", "client_secret": "aip_0123456789abcdef_" + "x" * 43},
         None, 401, "invalid_client"),
        ({"grant_type": "client_credentials", "client_id": "bot"}, None, 401, "invalid_client"),
        ({"grant_type": "password", "client_id": "bot", "client_secret": "KEY"}, None, 400, "unsupported_grant_type"),
        ({"client_id": "bot", "client_secret": "KEY"}, None, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "client_id": "bot", "client_secret": "KEY", "scope": "model:*"},
         None, 400, "invalid_scope"),
        ({"grant_type": "client_credentials", "client_id": "bot", "client_secret": "KEY", "scope": "admin"},
         None, 400, "invalid_scope"),
        ({"grant_type": "client_credentials", "client_id": "bot", "client_secret": "KEY", "audience": "other"},
         None, 400, "invalid_target"),
        ({"grant_type": "client_credentials", "client_secret": "KEY"}, ("bot", "KEY"), 400, "invalid_request"),
        ({"grant_type": "client_credentials"}, ("other", "KEY"), 401, "invalid_client"),
        ({"grant_type": TOKEN_EXCHANGE, "client_id": "bot", "client_secret": "KEY", "subject_token": "x.y.z",
          "subject_token_type": ACCESS_TOKEN_TYPE}, None, 400, "invalid_grant"),
        ({"grant_type": TOKEN_EXCHANGE, "client_id": "bot", "client_secret": "KEY", "subject_token": "x.y.z",
          "subject_token_type": "urn:x:saml"}, None, 400, "invalid_request"),
        ({"grant_type": TOKEN_EXCHANGE, "client_id": "bot", "client_secret": "KEY",
          "subject_token_type": ACCESS_TOKEN_TYPE}, None, 400, "invalid_request"),
    ],
)
def test_oauth_errors(gateway, form, auth, status, error):
    gw = gateway()
    _, key = gw.principals.add("bot", "agent", models=["gpt-*"])
    form = {k: (key if v == "KEY" else v) for k, v in form.items()}
    auth = (auth[0], key if auth[1] == "KEY" else auth[1]) if auth else None
    resp = _token(gw, form, auth)
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"] == error and body["error_description"] and "\n" not in body["error_description"]
    assert "access_token" not in body and key not in resp.text
    refused = _token_events(gw)[-1]
    assert refused["verdict"]["action"] == "block" and refused["data"]["error"] == error
    assert key not in str(refused)


@pytest.mark.parametrize(
    "content, ctype, error",
    [
        ('{"grant_type": "client_credentials"}', "application/json", "content type"),
        ("grant_type=client_credentials&grant_type=client_credentials", None, "more than once"),
        (b"grant_type=\xff\xfe", None, "valid form"),
        ("grant_type=client_credentials&scope=%FF%FE", None, "valid form"),
        ("scope=" + "a" * 9000, None, "longer than"),
        ("&".join(f"f{i}=1" for i in range(40)), None, "valid form"),
        ("x=" + "a" * 40_000, None, "exceeds"),
    ],
)
def test_hostile_forms(gateway, content, ctype, error):
    gw = gateway()
    headers = {"content-type": ctype or "application/x-www-form-urlencoded"}
    resp = httpx.post(f"{gw.server.url}/oauth/token", content=content, headers=headers)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"
    assert error in resp.json()["error_description"]


def test_bad_basic_header(gateway):
    gw = gateway()
    for header in ("Basic !!!notbase64", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer abc"):
        resp = httpx.post(f"{gw.server.url}/oauth/token", data={"grant_type": "client_credentials"},
                          headers={"authorization": header})
        assert resp.status_code in (400, 401) and resp.json()["error"] in ("invalid_client", "invalid_request")


def _exchange(gw, agent, agent_key, subject, **extra):
    form = {"grant_type": TOKEN_EXCHANGE, "subject_token": subject, "subject_token_type": ACCESS_TOKEN_TYPE,
            "client_id": agent, "client_secret": agent_key, **extra}
    return _token(gw, form)


def test_token_exchange_agent_on_behalf_of_user(gateway):
    gw = gateway()
    _, alice_key = gw.principals.add("alice", "user", models=["gpt-4o-mini", "claude-*"],
                                     attributes={"may_act": "invoice-*"})
    _, agent_key = gw.principals.add("invoice-agent", "agent", models=["gpt-*"], tools=["search_kb"])
    user_token = _cc(gw, "alice", alice_key).json()["access_token"]
    resp = _exchange(gw, "invoice-agent", agent_key, user_token)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert body["scope"] == "model:gpt-4o-mini"  # what both the agent and alice's token hold
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == "alice" and claims["act"] == {"sub": "invoice-agent"}
    assert claims["client_id"] == "invoice-agent" and claims["grant"] == "token_exchange"
    gw.openai(body["access_token"], default_headers={"x-aiposture-end-user": "mallory"}).chat.completions.create(**CHAT)
    chat = [e for e in gw.events() if e["direction"] == "prompt"][-1]
    assert chat["principal"] == "invoice-agent" and chat["end_user"] == "alice"
    assert chat["data"]["token"]["act"] == "invoice-agent"
    # a delegated token cannot be exchanged again, and scopes the agent lacks are refused
    again = _exchange(gw, "invoice-agent", agent_key, body["access_token"])
    assert again.json()["error"] == "invalid_grant" and "delegated" in again.json()["error_description"]
    wider = _exchange(gw, "invoice-agent", agent_key, user_token, scope="model:claude-3")
    assert wider.json()["error"] == "invalid_scope"
    # the actor may also authenticate with its own access token
    actor_token = _cc(gw, "invoice-agent", agent_key).json()["access_token"]
    by_token = _token(gw, {"grant_type": TOKEN_EXCHANGE, "subject_token": user_token,
                           "subject_token_type": ACCESS_TOKEN_TYPE, "actor_token": actor_token,
                           "actor_token_type": ACCESS_TOKEN_TYPE})
    assert by_token.status_code == 200, by_token.text


def test_token_exchange_refusals(gateway):
    gw = gateway()
    _, bob_key = gw.principals.add("bob", "user", models=["*"])  # no may_act
    _, carol_key = gw.principals.add("carol", "user", models=["*"], attributes={"may_act": "other-agent"})
    _, agent_key = gw.principals.add("agent-1", "agent", models=["*"])
    _, app_key = gw.principals.add("not-a-user", "app")
    for user, key in (("bob", bob_key), ("carol", carol_key)):
        subject = _cc(gw, user, key).json()["access_token"]
        resp = _exchange(gw, "agent-1", agent_key, subject)
        assert resp.json()["error"] == "invalid_grant" and "may_act" in resp.json()["error_description"]
    app_subject = _cc(gw, "not-a-user", app_key).json()["access_token"]
    resp = _exchange(gw, "agent-1", agent_key, app_subject)
    assert "user principal" in resp.json()["error_description"]
    bob_subject = _cc(gw, "bob", bob_key).json()["access_token"]
    user_as_actor = _exchange(gw, "carol", carol_key, bob_subject)
    assert user_as_actor.json()["error"] == "unauthorized_client"


def test_jwks_and_metadata(gateway):
    gw = gateway()
    ring = gw.app.state.gateway.tokens.keys
    keys = httpx.get(f"{gw.server.url}/.well-known/jwks.json").json()["keys"]
    assert [k["kid"] for k in keys] == [ring.active.kid] and "d" not in keys[0]
    new = ring.rotate(3600)
    kids = {k["kid"] for k in httpx.get(f"{gw.server.url}/.well-known/jwks.json").json()["keys"]}
    assert new.kid in kids and len(kids) == 2
    meta = httpx.get(f"{gw.server.url}/.well-known/oauth-authorization-server").json()
    assert meta["token_endpoint"].endswith("/oauth/token") and TOKEN_EXCHANGE in meta["grant_types_supported"]


def test_jwks_key_verifies_an_issued_token(gateway):
    gw = gateway()
    _, key = gw.principals.add("bot", "agent")
    token = _cc(gw, "bot", key).json()["access_token"]
    jwk = httpx.get(f"{gw.server.url}/.well-known/jwks.json").json()["keys"][0]
    public = jwt.PyJWK(jwk).key
    assert jwt.decode(token, public, algorithms=["EdDSA"], audience="aiposture-gateway")["sub"] == "bot"


def test_refused_tokens_on_model_routes(gateway):
    gw = gateway()
    _, key = gw.principals.add("bot", "agent")
    tokens = gw.app.state.gateway.tokens
    good = _cc(gw, "bot", key).json()["access_token"]
    head, payload, sig = good.split(".")
    expired, _ = tokens.issue("bot", now=time.time() - 3600)
    other_aud, _ = tokens.issue("bot", audience="another-gateway")
    cases = {
        "tampered": (f"{head}.{payload[:-2]}AA.{sig}", "bad_signature"),
        "expired": (expired, "expired"),
        "wrong audience": (other_aud, "wrong_audience"),
        "none alg": (base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=") + f".{payload}.",
                     "bad_algorithm"),
    }
    for name, (token, reason) in cases.items():
        resp = httpx.post(f"{gw.server.url}/v1/chat/completions", json=CHAT,
                          headers={"authorization": f"Bearer {token}"})
        assert resp.status_code == 401, name
        error = resp.json()["error"]
        assert error["code"] == "invalid_token" and f"({reason})" in error["message"], name
        assert resp.headers["www-authenticate"].startswith("Bearer error=\"invalid_token\"")
    refused = [e for e in _token_events(gw) if e["data"].get("event") == "token_refused"]
    assert {e["data"]["reason"] for e in refused} >= {"bad_signature", "expired", "wrong_audience", "bad_algorithm"}


def test_lifecycle_refusals_with_clear_reasons(gateway):
    gw = gateway()
    _, key = gw.principals.add("agent-x", "agent", owner="alice", attest_every_days=30)
    token = _cc(gw, "agent-x", key).json()["access_token"]
    gw.openai(token).chat.completions.create(**CHAT)
    _set(gw, "agent-x", created=datetime.now(UTC) - timedelta(days=40))
    gw.app.state.gateway.identity._by_name.clear()
    gw.app.state.gateway.identity._by_key.clear()
    with pytest.raises(openai.PermissionDeniedError, match="overdue for attestation"):
        gw.openai(token).chat.completions.create(**CHAT)
    with pytest.raises(openai.PermissionDeniedError, match="principals attest agent-x"):
        gw.openai(key).chat.completions.create(**CHAT)
    refused = _cc(gw, "agent-x", key)
    assert refused.json()["error"] == "invalid_client" and "attestation" in refused.json()["error_description"]
    _set(gw, "agent-x", attest_every_days=None, expires=datetime.now(UTC) - timedelta(hours=1))
    gw.app.state.gateway.identity._by_key.clear()
    with pytest.raises(openai.AuthenticationError, match="expired on"):
        gw.openai(key).chat.completions.create(**CHAT)


def test_identity_models_glob_applies_to_api_keys(gateway):
    gw = gateway()
    _, key = gw.principals.add("narrow", "agent", models=["gpt-4o-mini"])
    gw.openai(key).chat.completions.create(**CHAT)
    with pytest.raises(openai.PermissionDeniedError, match="not among the models"):
        gw.openai(key).chat.completions.create(model="gpt-4o", messages=CHAT["messages"])


def test_rfc7009_revocation_endpoint(gateway):
    gw = gateway()
    _, key = gw.principals.add("bot", "agent")
    _, other_key = gw.principals.add("other", "agent")
    token = _cc(gw, "bot", key).json()["access_token"]
    foreign = _cc(gw, "other", other_key).json()["access_token"]

    def revoke(name, secret, value):
        return httpx.post(f"{gw.server.url}/oauth/revoke", data={"token": value, "token_type_hint": "access_token"},
                          auth=(name, secret))

    assert revoke("bot", key, foreign).status_code == 200  # not its own: ignored
    assert gw.openai(foreign).chat.completions.create(**CHAT)
    assert revoke("bot", key, "garbage").status_code == 200
    assert revoke("bot", "aip_0123456789abcdef_" + "x" * 43, token).json()["error"] == "invalid_client"
    assert revoke("bot", key, token).status_code == 200
    with pytest.raises(openai.AuthenticationError, match="revoked"):
        gw.openai(token).chat.completions.create(**CHAT)
    missing = httpx.post(f"{gw.server.url}/oauth/revoke", data={}, auth=("bot", key))
    assert missing.json()["error"] == "invalid_request"
    events = [e["data"] for e in _token_events(gw) if e["data"].get("event") == "token_revoked"]
    assert [e["jti"] is not None for e in events] == [False, False, True]


def test_token_for_an_mcp_server_audience(gateway):
    gw = gateway(config={"mcp": [{"name": "tickets", "url": "http://127.0.0.1:9/mcp", "audience": "mcp:tickets"}]})
    _, key = gw.principals.add("bot", "agent", tools=["tickets/*"])
    resp = _cc(gw, "bot", key, resource="mcp:tickets")
    assert resp.status_code == 200, resp.text
    token = resp.json()["access_token"]
    tokens = gw.app.state.gateway.tokens
    assert tokens.verify(token, audience="mcp:tickets").aud == "mcp:tickets"
    refused = httpx.post(f"{gw.server.url}/v1/chat/completions", json=CHAT,
                         headers={"authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and "(wrong_audience)" in refused.json()["error"]["message"]
    assert _cc(gw, "bot", key, audience="mcp:other").json()["error"] == "invalid_target"


def test_guessing_secrets_is_slowed_down(gateway):
    gw = gateway(config={"tokens": {"max_failures_per_minute": 3}})
    _, key = gw.principals.add("bot", "agent")
    wrong = "aip_0123456789abcdef_" + "x" * 43
    for _ in range(4):
        assert _cc(gw, "bot", wrong).json()["error"] == "invalid_client"
    blocked = _cc(gw, "bot", key)  # even the right secret, from this address, for now
    assert blocked.status_code == 429 and blocked.json()["error"] == "slow_down"
    assert int(blocked.headers["retry-after"]) >= 1
    assert httpx.post(f"{gw.server.url}/oauth/revoke", data={"token": "x"}, auth=("bot", key)).status_code == 429
    assert _token_events(gw)[-1]["data"]["error"] == "slow_down"


def test_scope_mistakes_do_not_count_as_guesses(gateway):
    gw = gateway(config={"tokens": {"max_failures_per_minute": 2}})
    _, key = gw.principals.add("bot", "agent", models=["gpt-4o-mini"])
    for _ in range(4):
        assert _cc(gw, "bot", key, scope="model:gpt-4o").json()["error"] == "invalid_scope"
    assert _cc(gw, "bot", key).status_code == 200
