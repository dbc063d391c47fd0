"""Personal-data protection: field encryption, keyed lookup hashes, masking, random tokens.

ID numbers are stored AES-256-GCM encrypted; equality look-ups use an HMAC so the database
never needs the clear value. Keys derive from ``DATA_KEY`` (or ``SECRET_KEY`` when unset).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_keys: dict[str, bytes] = {}


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose from a master secret (HKDF-SHA256), so one secret never
    serves two purposes directly."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"court-platform", info=purpose.encode()).derive(
        secret.encode())


def configure(secret: str) -> None:
    """Derive the field-encryption and lookup keys from the master secret."""
    for purpose in ("encrypt", "lookup", "token", "code"):
        _keys[purpose] = derive_key(secret, purpose)


def _key(purpose: str) -> bytes:
    if purpose not in _keys:
        raise RuntimeError("court.crypto.configure() has not been called")
    return _keys[purpose]


def encrypt(value: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_key("encrypt")).encrypt(nonce, value.encode(), b"pd")


def decrypt(blob: bytes) -> str:
    return AESGCM(_key("encrypt")).decrypt(blob[:12], blob[12:], b"pd").decode()


def encrypt_bytes(data: bytes, context: bytes = b"blob") -> bytes:
    """Encrypt a short-lived binary value (e.g. a selfie waiting in Redis for its check)."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_key("encrypt")).encrypt(nonce, data, context)


def decrypt_bytes(blob: bytes, context: bytes = b"blob") -> bytes:
    return AESGCM(_key("encrypt")).decrypt(blob[:12], blob[12:], context)


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
