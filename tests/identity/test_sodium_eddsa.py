"""The libsodium EdDSA check agrees with cryptography's on good, tampered, truncated and
foreign signatures, and refuses to sign."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from aiposture.identity.sodium_eddsa import SodiumEd25519, verify_key

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # fixed: xdist workers collect the same cases
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
MESSAGE = b"eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJzdXBwb3J0LWJvdCJ9"
GOOD = KEY.sign(MESSAGE)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


def _cryptography_says(message: bytes, signature: bytes) -> bool:
    try:
        KEY.public_key().verify(signature, message)
    except InvalidSignature:
        return False
    return True


@pytest.mark.parametrize("message,signature", [
    (MESSAGE, GOOD),
    (_flip(MESSAGE, 5), GOOD),
    (MESSAGE, _flip(GOOD, 0)),
    (MESSAGE, _flip(GOOD, 63)),
    (MESSAGE, GOOD[:63]),
    (MESSAGE, GOOD + b"\0"),
    (MESSAGE, b""),
    (MESSAGE, OTHER.sign(MESSAGE)),
    (MESSAGE, b"\0" * 64),
], ids=["good", "message-changed", "first-byte", "last-byte", "truncated", "extended", "empty", "other-key",
        "zeros"])
def test_agrees_with_cryptography(message, signature):
    algorithm = SodiumEd25519()
    key = algorithm.prepare_key(KEY.public_key())
    assert algorithm.verify(message, key, signature) is _cryptography_says(message, signature)


def test_prepare_key_takes_only_ed25519_public_keys():
    algorithm = SodiumEd25519()
    prepared = verify_key(KEY.public_key())
    assert algorithm.prepare_key(prepared) is prepared
    for bad in ("secret", b"\0" * 32, KEY):
        with pytest.raises(TypeError):
            algorithm.prepare_key(bad)


def test_it_only_verifies():
    with pytest.raises(NotImplementedError):
        SodiumEd25519().sign(MESSAGE, KEY)
