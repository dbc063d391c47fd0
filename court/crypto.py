"""Personal-data protection: field encryption, keyed lookup hashes, masking, random tokens.

ID numbers are stored AES-256-GCM encrypted; equality look-ups use an HMAC so the database
never needs the clear value. Keys derive from ``DATA_KEY``, kept apart from ``SECRET_KEY``
(which only signs sessions), so the session key can change without losing data.

``DATA_KEY`` carries a key id so it can be rotated. New ciphertexts start with a small header
naming the key that made them (``CK1`` + id length + id); ciphertexts written before key ids
existed have no header and are tried against every configured key. Older keys stay readable
(``DATA_KEYS_PREVIOUS``); ``flask court rotate-data-key`` re-encrypts under the current one.

The keyed look-up hashes (ID-number look-ups, link, code and API-key hashes) cannot be
recomputed from what is stored, so they stay under the *oldest* configured key (the last one
listed): rotation re-encrypts the personal data, it does not invalidate links or API keys.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HEADER = b"CK1"
DEV_KEY_ID = "dev"
_HASH_PURPOSES = ("lookup", "token", "code")


@dataclass(frozen=True)
class DataKey:
    """One entry of the key ring: its id and the AES key derived from its secret."""

    key_id: str
    aes: bytes


_ring: list[DataKey] = []  # current key first, then older ones
_hash_keys: dict[str, bytes] = {}


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose from a master secret (HKDF-SHA256), so one secret never
    serves two purposes directly."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"court-platform", info=purpose.encode()).derive(
        secret.encode())


def parse_keys(spec: str) -> list[tuple[str, str]]:
    """``"k2:SECRET,k1:SECRET"`` → ``[("k2", "SECRET"), ("k1", "SECRET")]``; raises ValueError."""
    out: list[tuple[str, str]] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        key_id, sep, secret = item.partition(":")
        if not sep or not key_id or not secret or len(key_id) > 32 or not key_id.isascii():
            raise ValueError("a data key is written ID:SECRET (a short ASCII id, a colon, the secret)")
        out.append((key_id, secret))
    return out


def configure(secret: str, data_key: str = "", previous: str = "") -> None:
    """Build the key ring: ``data_key`` (``ID:SECRET``) encrypts; ``previous`` keys only decrypt.

    Without ``data_key`` (development) the one key is derived from ``secret`` exactly as before
    key ids existed, so existing development data stays readable.
    """
    entries = parse_keys(data_key) if data_key else [(DEV_KEY_ID, secret)]
    entries = entries[:1] + parse_keys(previous)
    ids = [key_id for key_id, _ in entries]
    if len(set(ids)) != len(ids):
        raise ValueError("two data keys share one id")
    _ring[:] = [DataKey(key_id, derive_key(sec, "encrypt")) for key_id, sec in entries]
    oldest = entries[-1][1]
    _hash_keys.clear()
    _hash_keys.update({purpose: derive_key(oldest, purpose) for purpose in _HASH_PURPOSES})


def _current() -> DataKey:
    if not _ring:
        raise RuntimeError("court.crypto.configure() has not been called")
    return _ring[0]


def current_key_id() -> str:
    return _current().key_id


def _key(purpose: str) -> bytes:
    if purpose not in _hash_keys:
        raise RuntimeError("court.crypto.configure() has not been called")
    return _hash_keys[purpose]


def _seal(data: bytes, context: bytes) -> bytes:
    key = _current()
    kid = key.key_id.encode()
    nonce = os.urandom(12)
    return HEADER + bytes([len(kid)]) + kid + nonce + AESGCM(key.aes).encrypt(nonce, data, context)


def key_id_of(blob: bytes) -> str | None:
    """The id of the key a ciphertext names, or None for one written before key ids."""
    if blob[:3] == HEADER and len(blob) > 4:
        n = blob[3]
        kid = blob[4 : 4 + n]
        if len(kid) == n and any(k.key_id.encode() == kid for k in _ring):
            return kid.decode()
    return None


def _open(blob: bytes, context: bytes) -> bytes:
    kid = key_id_of(blob)
    if kid is not None:
        body = blob[4 + len(kid.encode()) :]
        key = next(k for k in _ring if k.key_id == kid)
        try:
            return AESGCM(key.aes).decrypt(body[:12], body[12:], context)
        except InvalidTag:
            pass  # a legacy nonce that happens to look like a header: try it as one below
    if not _ring:
        raise RuntimeError("court.crypto.configure() has not been called")
    for key in _ring:  # written before key ids: try every key, newest first
        try:
            return AESGCM(key.aes).decrypt(blob[:12], blob[12:], context)
        except InvalidTag:
            continue
    raise InvalidTag("no configured data key opens this value")


def encrypt(value: str) -> bytes:
    return _seal(value.encode(), b"pd")


def decrypt(blob: bytes) -> str:
    return _open(blob, b"pd").decode()


def needs_rotation(blob: bytes) -> bool:
    """True when ``blob`` is not under the current key (re-encrypt it)."""
    return key_id_of(blob) != current_key_id()


def encrypt_bytes(data: bytes, context: bytes = b"blob") -> bytes:
    """Encrypt a short-lived binary value (e.g. a selfie waiting in Redis for its check)."""
    return _seal(data, context)


def decrypt_bytes(blob: bytes, context: bytes = b"blob") -> bytes:
    return _open(blob, context)


def lookup_hash(value: str, purpose: str = "lookup") -> str:
    """Keyed hash for look-ups (ID numbers, association codes, link tokens)."""
    return hmac.new(_key(purpose), value.encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return lookup_hash(token, "token")


def random_token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def mask_id_number(value: str) -> str:
    """``110101199003071234`` → ``1101**********1234``."""
    return value[:4] + "*" * (len(value) - 8) + value[-4:] if len(value) > 8 else "*" * len(value)


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    return value[:3] + "****" + value[-4:] if len(value) >= 7 else "*" * len(value)


_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """scrypt with a random salt, in a self-describing string (parameters can change later)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, maxmem=64 * 1024 * 1024, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(stored: str | None, password: str) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                         maxmem=64 * 1024 * 1024, dklen=32)
    return hmac.compare_digest(got.hex(), digest)
