"""Secrets at rest: Fernet with key rotation (ENCRYPTION_KEYS: the first encrypts, all decrypt)."""
from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class DecryptionError(RuntimeError):
    """A stored secret could not be decrypted with any configured key."""


def _keys(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])


def encrypt(keys: str, plaintext: str) -> str:
    return _keys(keys).encrypt(plaintext.encode()).decode()


def decrypt(keys: str, token: str) -> str:
    try:
        return _keys(keys).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("no configured key decrypts this value") from exc
