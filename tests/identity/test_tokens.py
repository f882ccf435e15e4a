"""Tokens: EdDSA only, audience/issuer bound, short-lived, revocable, keys rotating."""

from __future__ import annotations

import base64
import json
import os
import stat
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from aiposture.identity.keys import KeyRing
from aiposture.identity.revocation import Revocations
from aiposture.identity.tokens import TokenError, Tokens, mask_token
from aiposture.store.database import Store


@pytest.fixture
def store(tmp_path):
    s = Store.open(f"sqlite:///{tmp_path / 't.db'}")
    yield s
    s.close()


@pytest.fixture
def tokens(tmp_path, store):
    return Tokens(KeyRing.open(tmp_path / "keys"), Revocations(store), issuer="aip-test", audience="gw")


def _b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _forge(header: dict, payload: dict, sig: bytes = b"x") -> str:
    return f"{_b64(header)}.{_b64(payload)}.{_b64(sig)}"


def _sign(payload: dict, key, kid: str | None, alg: str = "EdDSA") -> str:
    headers = {"typ": "at+jwt"} | ({"kid": kid} if kid is not None else {})
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def _reason(tokens, token, **kw) -> str:
    with pytest.raises(TokenError) as err:
        tokens.verify(token, **kw)
    assert "\n" not in str(err.value) and str(err.value)
    return err.value.reason


def test_issue_and_verify_round_trip(tokens):
    token, claims = tokens.issue("agent-1", scope=["model:gpt-*", "tool:search_kb"])
    got = tokens.verify(token)
    assert got == claims and got.sub == got.client == "agent-1" and got.act is None
    assert got.exp - got.iat == 900 and got.aud == "gw" and got.iss == "aip-test"
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": claims.kid, "typ": "at+jwt"}


def _claims(tokens, **over) -> dict:
    now = int(time.time())
    base = {"iss": "aip-test", "sub": "a", "aud": "gw", "exp": now + 60, "iat": now, "nbf": now, "jti": "j1",
            "scope": "", "client_id": "a", "grant": "client_credentials"}
    return {**base, **over}


def test_refusals_by_reason(tokens, tmp_path):
    good, claims = tokens.issue("agent-1")
    kid = claims.kid
    active = tokens.keys.active
    now = int(time.time())
    other_key = Ed25519PrivateKey.generate()
    rsa = generate_private_key(public_exponent=65537, key_size=2048)
    cases = {
        "none": (_forge({"alg": "none", "kid": kid}, _claims(tokens), b""), "bad_algorithm"),
        "hs256 header": (_forge({"alg": "HS256", "kid": kid}, _claims(tokens)), "bad_algorithm"),
        "rs256": (_sign(_claims(tokens), rsa, kid, "RS256"), "bad_algorithm"),
        "alg missing": (_forge({"kid": kid}, _claims(tokens)), "bad_algorithm"),
        "unknown kid": (_sign(_claims(tokens), other_key, "nope", "EdDSA"),
                        "unknown_key"),
        "no kid": (_sign(_claims(tokens), other_key, None), "unknown_key"),
        "other key, our kid": (_sign(_claims(tokens), other_key, kid, "EdDSA"),
                               "bad_signature"),
        "tampered payload": (good.split(".")[0] + "." + _b64(_claims(tokens, sub="root")) + "." + good.split(".")[2],
                             "bad_signature"),
        "expired": (_sign(_claims(tokens, exp=now - 120, iat=now - 300, nbf=now - 300), active.private, kid),
                    "expired"),
        "not yet valid": (_sign(_claims(tokens, nbf=now + 600, exp=now + 900), active.private, kid),
                          "not_yet_valid"),
        "iat in the future": (_sign(_claims(tokens, iat=now + 600), active.private, kid), "not_yet_valid"),
        "wrong audience": (_sign(_claims(tokens, aud="other-gw"), active.private, kid), "wrong_audience"),
        "audience list": (_sign(_claims(tokens, aud=["gw", "x"]), active.private, kid), "malformed"),
        "wrong issuer": (_sign(_claims(tokens, iss="evil"), active.private, kid), "wrong_issuer"),
        "missing jti": (_sign({k: v for k, v in _claims(tokens).items() if k != "jti"}, active.private, kid),
                        "malformed"),
        "exp not a number": (_sign(_claims(tokens, exp="soon"), active.private, kid), "malformed"),
        "act not an object": (_sign(_claims(tokens, act="root"), active.private, kid), "malformed"),
        "typ id token": (jwt.encode(_claims(tokens), active.private, algorithm="EdDSA",
                                    headers={"kid": kid, "typ": "JWT+id"}), "malformed"),
        "garbage": ("not-a-token", "malformed"),
        "two dots garbage": ("a.b.c", "malformed"),
        "header not json": (_b64(b"\xff\xfe") + ".e30.sig", "malformed"),
        "too long": ("a." + "b" * 9000 + ".c", "malformed"),
    }
    for name, (token, reason) in cases.items():
        assert _reason(tokens, token) == reason, name
    assert _reason(tokens, None) == "malformed"
    assert _reason(tokens, good, audience="elsewhere") == "wrong_audience"
    assert _reason(tokens, good, now=claims.exp + 31) == "expired"


def test_hs256_signed_with_public_key_bytes_is_refused(tokens):
    """The classic alg-confusion attack, signed for real with the public key as HMAC secret."""
    _, claims = tokens.issue("x")
    public = tokens.keys.active.public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    import hashlib
    import hmac
    header, payload = _b64({"alg": "HS256", "typ": "at+jwt", "kid": claims.kid}), _b64(_claims(tokens))
    sig = hmac.new(public, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert _reason(tokens, f"{header}.{payload}.{_b64(sig)}") == "bad_algorithm"


def test_revoke_by_token_and_by_principal(tokens):
    t1, c1 = tokens.issue("agent-1")
    t2, _ = tokens.issue("agent-1")
    t3, _ = tokens.issue("agent-2")
    tokens.verify(t1)  # cached signature: revocation must still apply
    tokens.revocations.revoke_token(c1.jti, c1.exp, "leaked")
    assert _reason(tokens, t1) == "revoked"
    assert _reason(tokens, t1) == "revoked"  # replay
    tokens.verify(t2)
    tokens.revocations.revoke_principal("agent-1", tokens.max_ttl_s, "incident")
    assert _reason(tokens, t2) == "revoked"
    assert tokens.verify(t3).client == "agent-2"
    later, _ = tokens.issue("agent-1", now=time.time() + 2)
    assert tokens.verify(later).client == "agent-1"
    keys = [r["key"] for r in tokens.revocations.list()]
    assert keys == [f"jti:{c1.jti}", "sub:agent-1"]


def test_revoking_the_user_refuses_its_delegated_tokens(tokens):
    token, _ = tokens.issue("agent-1", sub="alice", act="agent-1", grant="token_exchange")
    tokens.revocations.revoke_principal("alice", tokens.max_ttl_s)
    assert _reason(tokens, token) == "revoked"


def test_revocation_seen_by_another_process_view(tmp_path, store, tokens):
    """A second Tokens (another worker) on the same DB and key folder sees the revocation at once."""
    other = Tokens(KeyRing.open(tmp_path / "keys"), Revocations(Store.open(str(store.engine.url))),
                   issuer="aip-test", audience="gw")
    token, claims = tokens.issue("agent-1")
    assert other.verify(token).jti == claims.jti
    tokens.revocations.revoke_token(claims.jti, claims.exp)
    assert _reason(other, token) == "revoked"


def test_rotation_without_downtime(tmp_path, tokens):
    old_token, old = tokens.issue("a")
    ring = tokens.keys
    new = ring.rotate(keep_retired_s=3600)
    assert ring.active.kid == new.kid != old.kid
    assert tokens.verify(old_token).kid == old.kid  # old keys verify until their tokens expire
    new_token, claims = tokens.issue("a")
    assert claims.kid == new.kid and tokens.verify(new_token)
    assert {k["kid"] for k in ring.jwks()["keys"]} == {old.kid, new.kid}
    assert all(set(k) == {"kty", "crv", "x", "kid", "alg", "use"} for k in ring.jwks()["keys"])
    ring.rotate(keep_retired_s=-1)  # retired long enough: pruned
    assert old.kid not in {k.kid for k in ring.keys()}
    assert _reason(tokens, old_token) == "unknown_key"  # even though its signature was cached
    for path in (tmp_path / "keys").iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "keys").st_mode) == 0o700


def test_other_worker_picks_up_rotation(tmp_path, tokens):
    other = KeyRing.open(tmp_path / "keys", interval=0.0)
    new = tokens.keys.rotate(3600)
    assert other.active.kid == new.kid and other.public_key(new.kid) is not None


def test_tampered_key_file_is_refused(tmp_path):
    ring = KeyRing.open(tmp_path / "k")
    path = next((tmp_path / "k").iterdir())
    data = json.loads(path.read_text())
    data["kid"] = "forged"
    path.write_text(json.dumps(data))
    from aiposture.errors import InputError
    with pytest.raises(InputError, match="does not match"):
        KeyRing.open(tmp_path / "k")
    assert ring is not None


def test_lifetime_bounds_and_mask(tokens):
    from aiposture.errors import InputError
    for bad in (0, -5, 10**6, "60"):
        with pytest.raises(InputError, match="lifetime"):
            tokens.issue("a", ttl_s=bad)
    token, _ = tokens.issue("a", ttl_s=60)
    masked = mask_token(token)
    assert token.split(".")[1] not in masked and token.split(".")[2] not in masked


def test_workers_starting_together_share_one_first_key(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        rings = list(pool.map(lambda _: KeyRing.open(tmp_path / "race"), range(8)))
    assert len({r.active.kid for r in rings}) == 1
    assert len(list((tmp_path / "race").glob("*.key.json"))) == 1
    assert not (tmp_path / "race" / ".create.lock").exists()


def test_stale_create_lock_is_taken_over(tmp_path):
    folder = tmp_path / "stale"
    folder.mkdir()
    (folder / ".create.lock").write_text("")
    ring = KeyRing.open(folder, create_wait_s=0.2)  # nobody makes a key: take over the lock
    assert len(ring.keys()) == 1 and not (folder / ".create.lock").exists()
