"""Fixtures for every test: each test gets its own DAGMAP_HOME and freshly read settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dagmap.config import reset_settings


@pytest.fixture(autouse=True)
def dagmap_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private DAGMAP_HOME, so that no test reads or writes ``~/dagmap`` or another test's files."""
    home = tmp_path_factory.mktemp("dagmap_home")
    monkeypatch.setenv("DAGMAP_HOME", str(home))
    monkeypatch.delenv("DAGMAP__DATABASE__SQL_ALCHEMY_CONN", raising=False)
    reset_settings()
    yield home
    reset_settings()
