"""Access-token verification on one core: aiposture's full verify (EdDSA signature via
PyJWT with a libsodium check, claims, and the shared revocation lookup in SQLite) against PyJWT's own decode
and two peers run offline on the same tokens (Authlib and joserfc, in
benchmarks/.venv-authlib).

    .venv/bin/python benchmarks/token_bench.py [--verifications 50000] [--tokens 2000] [--core 1]

Rows:
- aiposture verify, cold: every token distinct and the signature cache off, so each call
  runs the Ed25519 check; plus claims and one indexed probe of a revocation table holding
  1,000 revoked ids. This is the first sight of a token.
- aiposture verify, cached signature: a token seen before (an agent sends the same
  token for up to 15 minutes); the signature check is skipped, expiry, audience, issuer,
  key presence and the revocation probe still run each time.
- aiposture verify, cold, no revocation probe: the same without the table, to show its cost.
- PyJWT decode: `jwt.decode(token, key, algorithms=["EdDSA"], audience, issuer)`, the baseline
  with no revocation check.
- Ed25519 verify only, through cryptography (OpenSSL) and through PyNaCl (libsodium,
  which aiposture's verify uses since it is ~2x faster here): the floors.
- Authlib / joserfc: decode plus claim validation of the same tokens with the same key.

Each figure is the best of three passes of `--verifications` calls, pinned to `--core`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import jwt

from aiposture.identity.keys import KeyRing
from aiposture.identity.revocation import Revocations
from aiposture.identity.sodium_eddsa import verify_key
from aiposture.identity.tokens import Tokens
from aiposture.store.database import Store

HERE = Path(__file__).resolve().parent
PEER = HERE / ".venv-authlib" / "bin" / "python"


def _best(fn, tokens: list[str], n: int) -> float:
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        for i in range(n):
            fn(tokens[i % len(tokens)])
        best = max(best, n / (time.perf_counter() - started))
    return best


def _setup(folder: Path, count: int) -> tuple[Tokens, list[str]]:
    store = Store.open(f"sqlite:///{folder / 'bench.db'}")
    tokens = Tokens(KeyRing.open(folder / "keys"), Revocations(store), issuer="aiposture",
                    audience="aiposture-gateway", cache_size=0)
    now = time.time()
    for i in range(1000):
        tokens.revocations.revoke_token(f"revoked-{i}", now + 3600, "bench")
    issued = [tokens.issue(f"agent-{i % 50}", scope=["model:gpt-4o-mini", "tool:search_kb"])[0]
              for i in range(count)]
    return tokens, issued


def _peers(folder: Path, tokens: Tokens, issued: list[str], n: int, core: int) -> dict:
    if not PEER.exists():
        return {"authlib": {"error": "not installed (benchmarks/.venv-authlib)"}}
    data = folder / "peer.json"
    data.write_text(json.dumps({"jwk": tokens.keys.active.jwk(), "tokens": issued, "issuer": tokens.issuer,
                                "audience": tokens.audience}))
    out = subprocess.run([str(PEER), str(HERE / "peers" / "authlib_run.py"), str(data), str(n), str(core)],
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        return {"authlib": {"error": out.stderr.strip()[-300:]}}
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verifications", type=int, default=50_000)
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--core", type=int, default=1)
    args = parser.parse_args()
    if args.core >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})
    n = args.verifications
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tokens, issued = _setup(folder, args.tokens)
        key = tokens.keys.active.public
        rows: list[tuple[str, float, str]] = []
        rows.append(("aiposture verify, cold (signature + claims + revocation)", _best(tokens.verify, issued, n),
                     f"PyJWT {jwt.__version__}"))
        cached = Tokens(tokens.keys, tokens.revocations, issuer=tokens.issuer, audience=tokens.audience,
                        cache_size=20_000)
        for t in issued:
            cached.verify(t)
        rows.append(("aiposture verify, cached signature (claims + revocation)", _best(cached.verify, issued, n), ""))
        bare = Tokens(tokens.keys, None, issuer=tokens.issuer, audience=tokens.audience, cache_size=0)
        rows.append(("aiposture verify, cold, no revocation probe", _best(bare.verify, issued, n), ""))

        def pyjwt(token: str) -> None:
            jwt.decode(token, key, algorithms=["EdDSA"], audience=tokens.audience, issuer=tokens.issuer)

        rows.append(("PyJWT jwt.decode (signature + claims, no revocation)", _best(pyjwt, issued, n), ""))
        parts = [t.rsplit(".", 1) for t in issued]
        sigs = [(s.encode(), jwt.utils.base64url_decode(sig)) for s, sig in parts]

        def raw(pair) -> None:
            key.verify(pair[1], pair[0])

        rows.append(("Ed25519 verify only (cryptography / OpenSSL)", _best(raw, sigs, n), ""))
        sodium = verify_key(key)

        def raw_sodium(pair) -> None:
            sodium.verify(pair[0], pair[1])

        rows.append(("Ed25519 verify only (PyNaCl / libsodium, what aiposture uses)", _best(raw_sodium, sigs, n), ""))
        for name, result in _peers(folder, tokens, issued, n, args.core).items():
            if "per_s" in result:
                note = f"{name} {result['version']}" + (f", {result['errors']} errors" if result["errors"] else "")
                rows.append((f"{name} decode + validate (peer)", result["per_s"], note))
            else:
                rows.append((f"{name} (peer)", 0.0, result["error"]))
    print(f"{'verifier':60} {'per s':>10} {'µs each':>9}  note")
    for name, per_s, note in rows:
        us = f"{1e6 / per_s:9.1f}" if per_s else "        -"
        print(f"{name:60} {per_s:10,.0f} {us}  {note}")


if __name__ == "__main__":
    main()
