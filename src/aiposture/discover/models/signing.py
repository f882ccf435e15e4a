"""Provenance: OpenSSF model signing (the `model-signing` package, sigstore bundles).

A signature is looked for next to the model (`<file>.sig`, `<file>.sigstore.json`,
`model.sig` in its folder). It is verified only when the optional `signing` extra is
installed and the caller names what to verify against (a public key, or a sigstore
identity and issuer, which needs the network the user points it at); otherwise the
report says, honestly, that a signature is present but not verified."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FOLDER_SIGNATURE = "model.sig"


@dataclass(frozen=True)
class SignatureCheck:
    signature: Path | None
    verified: bool | None  # None: not verified (see `reason`)
    reason: str


def find_signature(path: Path) -> Path | None:
    for candidate in (
        path.with_name(path.name + ".sig"),
        path.with_name(path.name + ".sigstore.json"),
        path.with_name(path.name + ".sigstore"),
        path.parent / FOLDER_SIGNATURE,
    ):
        if candidate.is_file() and candidate != path:
            return candidate
    return None


def check_signature(
    path: Path, *, public_key: Path | None = None, identity: str | None = None, issuer: str | None = None
) -> SignatureCheck:
    signature = find_signature(path)
    if signature is None:
        return SignatureCheck(None, None, "no signature found")
    if public_key is None and not (identity and issuer):
        return SignatureCheck(signature, None, "present, not verified (no public key or signer identity given)")
    target = path.parent if signature.name == FOLDER_SIGNATURE else path
    verified, reason = _verify(str(target), str(signature), str(public_key) if public_key else None, identity, issuer)
    return SignatureCheck(signature, verified, reason)


@lru_cache(maxsize=256)
def _verify(
    target: str, signature: str, public_key: str | None, identity: str | None, issuer: str | None
) -> tuple[bool | None, str]:
    try:
        from model_signing import verifying
    except ImportError:
        return None, "present, not verified (install aiposture[signing] to verify)"
    config = verifying.Config()
    if public_key:
        config = config.use_elliptic_key_verifier(public_key=public_key)
    else:
        config = config.use_sigstore_verifier(identity=identity or "", oidc_issuer=issuer or "")
    try:
        config.verify(target, signature)
    except Exception as exc:  # noqa: BLE001 - any failure of the verifier means "does not verify"
        return False, f"does not verify: {exc}"
    return True, "verified"
