"""Fixtures for the run- and task-management services: sessions on the test's database, a small DAGs folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from manage_harness import dags_folder


@pytest.fixture
def folder(tmp_path: Path) -> Callable[..., Path]:
    """``folder("mapping_failed_instance", ...)``: a DAGs folder with only these files."""

    def make(*names: str) -> Path:
        return dags_folder(tmp_path / "dags", *names)

    return make
