"""Fernet encryption of secrets at rest (connection passwords and extras, variable values).

The key is ``core.fernet_key`` (``DAGMAP__CORE__FERNET_KEY``); several comma-separated keys rotate: the
first encrypts, every one decrypts.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from dagmap.config import get_settings
from dagmap.errors import SecretsConfigurationError


def generate_fernet_key() -> str:
    """A new random key, ready for ``DAGMAP__CORE__FERNET_KEY``."""
    return Fernet.generate_key().decode("ascii")


def has_fernet_key() -> bool:
    return bool((get_settings().core.fernet_key or "").strip())


def get_fernet() -> MultiFernet:
    """The configured keys; raises :class:`SecretsConfigurationError` when there are none or one is bad."""
    return _fernet_for(get_settings().core.fernet_key or "")


@lru_cache(maxsize=4)
def _fernet_for(keys_setting: str) -> MultiFernet:
    keys = [key.strip() for key in keys_setting.split(",") if key.strip()]
    if not keys:
        raise SecretsConfigurationError()
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            raise SecretsConfigurationError(
                f"Fernet key number {position} in core.fernet_key is not a valid key "
                "(32 url-safe base64-encoded bytes; make one with generate_fernet_key())"
            ) from None
    return MultiFernet(fernets)


def encrypt(value: str) -> str:
    """The encrypted token of ``value``, with the first configured key."""
    return get_fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The value behind ``token``; a token no configured key opens raises :class:`SecretsConfigurationError`."""
    try:
        return get_fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        raise SecretsConfigurationError(
            "A stored secret cannot be decrypted with any key in core.fernet_key "
            "(was the key changed without keeping the old one for rotation?)"
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt ``token`` with the first configured key (after adding a new key in front)."""
    try:
        return get_fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeEncodeError):
        raise SecretsConfigurationError(
            "A stored secret cannot be decrypted with any key in core.fernet_key, so it cannot be rotated"
        ) from None
