from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from dagmap.config import reset_settings
from dagmap.connections import crypto
from dagmap.errors import SecretsConfigurationError


def _use_keys(monkeypatch: pytest.MonkeyPatch, *keys: str) -> None:
    monkeypatch.setenv("DAGMAP__CORE__FERNET_KEY", ",".join(keys))
    reset_settings()


def test_generated_key_is_a_valid_fernet_key() -> None:
    key = crypto.generate_fernet_key()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"
    assert crypto.generate_fernet_key() != key


def test_round_trip_and_ciphertext_hides_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    _use_keys(monkeypatch, crypto.generate_fernet_key())
    token = crypto.encrypt("päss wörd")
    assert "päss" not in token
    assert crypto.decrypt(token) == "päss wörd"


def test_without_a_key_storing_and_reading_raise() -> None:
    assert not crypto.has_fernet_key()
    with pytest.raises(SecretsConfigurationError, match="DAGMAP__CORE__FERNET_KEY"):
        crypto.encrypt("x")
    with pytest.raises(SecretsConfigurationError):
        crypto.decrypt("anything")


def test_invalid_key_is_reported_by_position(monkeypatch: pytest.MonkeyPatch) -> None:
    _use_keys(monkeypatch, crypto.generate_fernet_key(), "not-a-key")
    with pytest.raises(SecretsConfigurationError, match="number 2"):
        crypto.encrypt("x")


def test_rotation_first_key_encrypts_every_key_decrypts(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = crypto.generate_fernet_key(), crypto.generate_fernet_key()
    _use_keys(monkeypatch, old)
    token = crypto.encrypt("secret")
    _use_keys(monkeypatch, new, old)
    assert crypto.decrypt(token) == "secret"
    rotated = crypto.rotate(token)
    _use_keys(monkeypatch, new)
    assert crypto.decrypt(rotated) == "secret"
    with pytest.raises(SecretsConfigurationError, match="cannot be decrypted"):
        crypto.decrypt(token)
