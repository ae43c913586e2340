"""Executor integration tests: the contract suite lives with the unit tests; make it importable here and in
worker processes (which receive this process's ``sys.path``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CONTRACT_DIR = str(Path(__file__).resolve().parents[2] / "unit" / "executors")
if CONTRACT_DIR not in sys.path:
    sys.path.insert(0, CONTRACT_DIR)

from celery_workers import CeleryWorkers  # noqa: E402  (after the path is set)


@pytest.fixture(scope="session")
def celery_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryWorkers]:
    workers = CeleryWorkers(tmp_path_factory.mktemp("celery"))
    yield workers
    workers.stop_all()
