"""The CeleryExecutor through the real ``dagmap scheduler``: one scheduler process and real ``dagmap celery
worker`` processes on a queue of their own. Process, database and worker helpers are imported from the
scheduler service and executor tests; the deployment lives in celery_deployment.py."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).resolve().parents[1]
for helpers in (INTEGRATION / "scheduler_service", INTEGRATION / "executors"):
    if str(helpers) not in sys.path:
        sys.path.insert(0, str(helpers))

from celery_deployment import CeleryDeployment  # noqa: E402  (after the path is set)
from celery_workers import CeleryWorkers  # noqa: E402
from service_harness import ServiceProcess, postgres_url, services, sqlite_url  # noqa: E402

from dagmap.config import reset_settings  # noqa: E402

__all__ = ["postgres_url", "services", "sqlite_url"]


@pytest.fixture
def celery_workers(tmp_path: Path) -> Iterator[CeleryWorkers]:
    """Workers of this test only; killed (their whole process group) and their queues deleted at the end."""
    base = tmp_path / "celery"
    base.mkdir()
    workers = CeleryWorkers(base)
    yield workers
    workers.stop_all()


@pytest.fixture
def deploy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    services: Callable[..., ServiceProcess],
    celery_workers: CeleryWorkers,
) -> Callable[..., CeleryDeployment]:
    """``deploy(url, broker, dags_folder, **env)``: a deployment; this process parses DAGs with its queue too
    (so that runs triggered from the test put their instances on it)."""

    def make(url: str, broker: str, dags_folder: Path, **extra: str) -> CeleryDeployment:
        deployment = CeleryDeployment(url, broker, dags_folder, tmp_path, services, celery_workers, extra=extra)
        monkeypatch.setenv("DAGMAP__CELERY__DEFAULT_QUEUE", deployment.queue)
        reset_settings()
        return deployment

    return make
