"""Every test starts with no registered secrets, the default secrets chain and no fernet key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dagmap.config import reset_settings
from dagmap.connections.masking import get_masker
from dagmap.connections.secrets import set_secrets_backends


@pytest.fixture(autouse=True)
def _clean_secrets_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("DAGMAP__CORE__FERNET_KEY", raising=False)
    reset_settings()
    get_masker().clear()
    yield
    get_masker().clear()
    set_secrets_backends(None)
    reset_settings()
