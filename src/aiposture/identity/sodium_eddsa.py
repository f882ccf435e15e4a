"""EdDSA (Ed25519) signature checks for PyJWT through libsodium (PyNaCl).

PyJWT parses and checks the JWS; only the signature check is ours, registered as
PyJWT's `EdDSA` algorithm on the verifier's own `PyJWS` instance (the process-wide
PyJWT registry is left alone). Why: on the development machine one Ed25519 check
through `cryptography` (OpenSSL) costs ~90 µs of CPU and through libsodium ~40 µs
(measured side by side, `benchmarks/token_bench.py`), and the gateway checks a
signature on the first sight of every token. The key ring still holds
`cryptography` keys (generation, PEM/JWK files, signing); a public key is turned into
a libsodium verify key once per key id.

Only verification lives here: `sign` refuses, since tokens are signed by PyJWT's own
EdDSA with the private key of the ring.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import Algorithm
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

SIGNATURE_BYTES = 64


def verify_key(public: Ed25519PublicKey) -> VerifyKey:
    """The libsodium verify key of a `cryptography` Ed25519 public key."""
    return VerifyKey(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


class SodiumEd25519(Algorithm):
    """PyJWT's algorithm interface over libsodium's `crypto_sign_verify_detached`."""

    def prepare_key(self, key: Any) -> VerifyKey:
        if isinstance(key, VerifyKey):
            return key
        if isinstance(key, Ed25519PublicKey):
            return verify_key(key)
        raise TypeError("EdDSA verification needs an Ed25519 public key")

    def sign(self, msg: bytes, key: Any) -> bytes:
        raise NotImplementedError("this algorithm object only verifies; sign with PyJWT's EdDSA")

    def verify(self, msg: bytes, key: Any, sig: bytes) -> bool:
        if len(sig) != SIGNATURE_BYTES:
            return False
        try:
            key.verify(msg, sig)
        except BadSignatureError:
            return False
        return True

    @staticmethod
    def to_jwk(key_obj: Any, as_dict: bool = False) -> Any:
        raise NotImplementedError("JWKs are written by the key ring")

    @staticmethod
    def from_jwk(jwk: Any) -> Any:
        raise NotImplementedError("JWKs are read by the key ring")
