"""Secrets registered for masking by one test must not hide text in another."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dagmap.connections.masking import get_masker
from dagmap.connections.secrets import set_secrets_backends


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    yield
    get_masker().clear()
    set_secrets_backends(None)
