"""The token signing key ring: Ed25519 keys with key ids, kept as one file per key
(mode 0600) in a folder (mode 0700) under the gateway's state_dir.

Rotation without downtime: `rotate()` writes a new key, which signs from then on; the
old one is marked retired and still verifies the tokens it signed until they expire,
then a later rotation prunes it. Every worker re-reads the folder when its mtime
changes (checked at most once a second, and at once on an unknown key id, rate
limited), so a rotation done by one worker or by the CLI reaches all of them.
The key id is the RFC 7638 JWK thumbprint of the public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from aiposture.errors import InputError

_SUFFIX = ".key.json"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def thumbprint(public: Ed25519PublicKey) -> str:
    x = b64url(public.public_bytes(Encoding.Raw, PublicFormat.Raw))
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


@dataclass(frozen=True)
class SigningKey:
    kid: str
    created: float
    retired: float | None
    private: Ed25519PrivateKey
    public: Ed25519PublicKey

    def jwk(self) -> dict:
        x = b64url(self.public.public_bytes(Encoding.Raw, PublicFormat.Raw))
        return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid, "alg": "EdDSA", "use": "sig"}

    def info(self) -> dict:
        return {"kid": self.kid, "created": self.created, "retired": self.retired,
                "status": "retired" if self.retired else "active"}


def _new_key(now: float) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    return SigningKey(thumbprint(public), now, None, private, public)


def _write(directory: Path, key: SigningKey) -> None:
    raw = key.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    body = json.dumps({"kid": key.kid, "created": key.created, "retired": key.retired, "d": b64url(raw)})
    tmp = directory / f".{key.kid}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, body.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, directory / f"{key.kid}{_SUFFIX}")


def _read(path: Path) -> SigningKey:
    try:
        data = json.loads(path.read_text(encoding="ascii"))
        private = Ed25519PrivateKey.from_private_bytes(_unb64url(data["d"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"token key file {path.name} is unreadable ({exc.__class__.__name__})") from None
    public = private.public_key()
    kid = thumbprint(public)
    if data.get("kid") != kid:
        raise InputError(f"token key file {path.name}: key id does not match the key")
    retired = data.get("retired")
    return SigningKey(kid, float(data.get("created") or 0.0), float(retired) if retired else None, private, public)


class KeyRing:
    """Signing keys in `directory`. Construct with `KeyRing.open(directory)`."""

    def __init__(self, directory: Path, interval: float = 1.0) -> None:
        self.directory = Path(directory)
        self.interval = interval
        self._lock = threading.Lock()
        self._keys: dict[str, SigningKey] = {}
        self._mtime: int | None = None
        self._checked = 0.0
        self._forced = 0.0

    @classmethod
    def open(cls, directory: Path, *, create: bool = True, interval: float = 1.0, create_wait_s: float = 10.0
             ) -> KeyRing:
        ring = cls(directory, interval)
        if create:
            ring.directory.mkdir(parents=True, exist_ok=True)
            os.chmod(ring.directory, 0o700)
        ring._load()
        if create and not ring._keys:
            ring._create_first(create_wait_s)
        return ring

    def _create_first(self, wait_s: float) -> None:
        """The first key, made by one process only: workers starting together on an
        empty folder take a lock file; the others wait for its key."""
        lock = self.directory / ".create.lock"
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                self._load()
                if self._keys:
                    return
                time.sleep(0.05)
            lock.unlink(missing_ok=True)  # a creator that died: take over
            self._create_first(0.0)
            return
        try:
            self._load()
            if not self._keys:
                self._add(_new_key(time.time()))
        finally:
            os.close(fd)
            lock.unlink(missing_ok=True)

    # --- reading ---------------------------------------------------------------
    def _load(self) -> None:
        try:
            mtime = os.stat(self.directory).st_mtime_ns
        except OSError:
            self._keys, self._mtime = {}, None
            return
        keys = {}
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            key = _read(path)
            keys[key.kid] = key
        self._keys, self._mtime = keys, mtime

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if force:
            if now - self._forced < self.interval:
                return
            self._forced = now
        elif now - self._checked < self.interval:
            return
        with self._lock:
            self._checked = now
            try:
                mtime = os.stat(self.directory).st_mtime_ns
            except OSError:
                mtime = None
            if mtime != self._mtime:
                self._load()

    def public_key(self, kid: object) -> Ed25519PublicKey | None:
        """The public key for a token's `kid`, or None when no such key is (still) held."""
        self._refresh()
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None and isinstance(kid, str) and len(kid) < 128:
            self._refresh(force=True)
            key = self._keys.get(kid)
        return key.public if key else None

    def has(self, kid: str) -> bool:
        self._refresh()
        return kid in self._keys

    @property
    def active(self) -> SigningKey:
        """The key that signs: the newest one not retired."""
        self._refresh()
        live = [k for k in self._keys.values() if k.retired is None]
        if not live:
            raise InputError(f"no active token signing key in {self.directory}: run 'aiposture tokens keys rotate'")
        return max(live, key=lambda k: (k.created, k.kid))

    def keys(self) -> list[SigningKey]:
        self._refresh()
        return sorted(self._keys.values(), key=lambda k: (k.created, k.kid))

    def jwks(self) -> dict:
        """Every key that may still verify a token, as a JWK Set (public parts only)."""
        return {"keys": [k.jwk() for k in self.keys()]}

    # --- writing ---------------------------------------------------------------
    def _add(self, key: SigningKey) -> None:
        _write(self.directory, key)
        with self._lock:
            self._load()

    def rotate(self, keep_retired_s: float) -> SigningKey:
        """A new signing key; the current ones retire and verify for `keep_retired_s`
        more seconds (at least the longest token lifetime), after which they are pruned."""
        now = time.time()
        with self._lock:
            self._load()
            current = list(self._keys.values())
        new = _new_key(now)
        _write(self.directory, new)
        for key in current:
            if key.retired is None:
                _write(self.directory, SigningKey(key.kid, key.created, now, key.private, key.public))
            elif key.retired + keep_retired_s < now:
                (self.directory / f"{key.kid}{_SUFFIX}").unlink(missing_ok=True)
        with self._lock:
            self._load()
        return new
