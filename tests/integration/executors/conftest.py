"""Executor integration tests: the contract suite and the corpus' expect-block parser live with the unit
tests; make them importable here and in worker processes (which receive this process's ``sys.path``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[2]
for helpers in (TESTS / "unit" / "executors", TESTS / "unit" / "dag_processing"):  # contract; corpus expect blocks
    if str(helpers) not in sys.path:
        sys.path.insert(0, str(helpers))

from celery_workers import CeleryWorkers  # noqa: E402  (after the path is set)


@pytest.fixture(scope="session")
def celery_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryWorkers]:
    workers = CeleryWorkers(tmp_path_factory.mktemp("celery"))
    yield workers
    workers.stop_all()
