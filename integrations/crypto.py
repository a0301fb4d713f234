"""Encryption at rest for store credentials: MultiFernet over FIELD_ENCRYPTION_KEYS.

The first key encrypts, every key decrypts, so keys rotate by prepending a new one and running
`manage.py rotate_encryption_keys`. Keys are independent of SECRET_KEY on purpose: leaking or
rotating one must not affect the other.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds an invalid key: each must be 32 url-safe base64-encoded "
            "bytes (generate one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`)."
        ) from exc


def fernet() -> MultiFernet:
    return _multifernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        # Never fall back to returning the ciphertext: a wrong key must fail loudly.
        raise DecryptionError(
            "A stored credential cannot be decrypted with FIELD_ENCRYPTION_KEYS: the key that "
            "encrypted it is missing. Restore it (keys are tried in order)."
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt `token` with the first key (no-op in meaning, new ciphertext)."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("A stored credential cannot be decrypted for rotation.") from exc


def hint(value: str | None) -> str:
    """What may be shown of a secret: its last 4 characters."""
    if not value:
        return ""
    return "…" + value[-4:] if len(value) > 8 else "…" + value[-2:]
