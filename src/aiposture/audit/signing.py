"""Ed25519 keys that sign the chain's seals (head, checkpoints, retention anchor).

The private key lives in a file created with mode 0600 (under the state folder by
default); several gateway workers starting at once race to create it, so creation is
O_EXCL and the losers read the winner's key.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from aiposture.errors import InputError

DEFAULT_KEY_NAME = "audit_ed25519.key"


def seal_message(kind: str, seq: int, digest: str, when: str) -> bytes:
    return f"aiposture-audit-v1|{kind}|{seq}|{digest}|{when}".encode()


class Signer:
    """Signs and verifies seals; `key_id` names the public key a seal was made with."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key: Ed25519PublicKey = private_key.public_key()
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]

    @classmethod
    def load_or_create(cls, path: Path, create: bool = True) -> Signer:
        path = Path(path)
        if not path.exists():
            if not create:
                raise InputError(f"audit key {path} not found (it is created by the first audit write)")
            _create_key(path)
        for _ in range(50):  # another process may be writing it right now
            data = path.read_bytes()
            if data:
                break
            time.sleep(0.02)
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise InputError(f"audit key {path} is not a PEM Ed25519 private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise InputError(f"audit key {path} is not an Ed25519 key")
        return cls(key)

    def sign(self, kind: str, seq: int, digest: str, when: str) -> str:
        return self._key.sign(seal_message(kind, seq, digest, when)).hex()

    def verify(self, kind: str, seq: int, digest: str, when: str, signature: str) -> bool:
        try:
            self.public_key.verify(bytes.fromhex(signature), seal_message(kind, seq, digest, when))
            return True
        except (InvalidSignature, ValueError):
            return False


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
