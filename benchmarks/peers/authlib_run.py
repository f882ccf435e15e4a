"""Peers verifying the same EdDSA access tokens as aiposture: Authlib (`authlib.jose.jwt`)
and joserfc, signature plus claims (exp, nbf, iss, aud). Runs in benchmarks/.venv-authlib
(`python -m venv benchmarks/.venv-authlib && benchmarks/.venv-authlib/bin/pip install authlib joserfc`).

argv: input.json ({"jwk", "tokens", "issuer", "audience"}) verifications core
Prints one JSON object: {"<peer>": {"version", "per_s", "errors"}}."""

import json
import os
import sys
import time


def _pin(core: int) -> None:
    if core >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})


def _time(verify, tokens, n: int) -> tuple[float, int]:
    errors = 0
    count = 0
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        for i in range(n):
            try:
                verify(tokens[i % len(tokens)])
            except Exception:  # noqa: BLE001 - counted, the peer's own errors
                errors += 1
        elapsed = time.perf_counter() - started
        best = max(best, n / elapsed)
        count += n
    return best, errors


def main() -> None:
    data = json.load(open(sys.argv[1]))
    n, core = int(sys.argv[2]), int(sys.argv[3])
    _pin(core)
    tokens, iss, aud = data["tokens"], data["issuer"], data["audience"]
    out = {}
    try:
        import authlib
        from authlib.jose import JsonWebKey, jwt

        key = JsonWebKey.import_key(data["jwk"])
        options = {"iss": {"essential": True, "value": iss}, "aud": {"essential": True, "value": aud}}

        def verify_authlib(token: str) -> None:
            claims = jwt.decode(token, key, claims_options=options)
            claims.validate(leeway=30)

        per_s, errors = _time(verify_authlib, tokens, n)
        out["authlib"] = {"version": authlib.__version__, "per_s": per_s, "errors": errors}
    except ImportError as exc:
        out["authlib"] = {"error": str(exc)}
    try:
        import joserfc
        from joserfc import jwk as jfk
        from joserfc import jwt as jft

        okp = jfk.import_key(data["jwk"])
        registry = jft.JWTClaimsRegistry(leeway=30, iss={"essential": True, "value": iss},
                                         aud={"essential": True, "value": aud})

        def verify_joserfc(token: str) -> None:
            registry.validate(jft.decode(token, okp, algorithms=["EdDSA"]).claims)

        per_s, errors = _time(verify_joserfc, tokens, n)
        out["joserfc"] = {"version": getattr(joserfc, "__version__", "?"), "per_s": per_s, "errors": errors}
    except ImportError as exc:
        out["joserfc"] = {"error": str(exc)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
