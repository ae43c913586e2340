"""``dagmap celery worker``: a Celery worker (prefork pool) consuming dagmap workloads from given queues.

Each pool process starts with fresh database connections and empty DAG caches.
"""

from __future__ import annotations

import os
from typing import Any

from celery import signals

from dagmap.config import get_settings
from dagmap.executors.celery.app import make_app, set_runner


def _fresh_process_state(**_kwargs: Any) -> None:
    from dagmap.runner.entry import reset_worker_caches
    from dagmap.store.db import dispose_engines

    dispose_engines()
    reset_worker_caches()


def worker_argv(
    *,
    queues: list[str] | None = None,
    concurrency: int | None = None,
    hostname: str | None = None,
    loglevel: str = "INFO",
) -> list[str]:
    """The ``celery worker`` arguments for these options (defaults from the ``celery`` settings)."""
    settings = get_settings().celery
    argv = [
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency or settings.worker_concurrency or os.cpu_count() or 1}",
        f"--queues={','.join(queues or [settings.default_queue])}",
        f"--loglevel={loglevel}",
        "--without-gossip",  # workers need not know each other: the scheduler tracks every task
        "--without-mingle",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    return argv


def run_worker(
    *,
    queues: list[str] | None = None,
    concurrency: int | None = None,
    hostname: str | None = None,
    loglevel: str = "INFO",
    runner: str | None = None,
) -> None:
    """Run a worker in this process until it is stopped (SIGTERM: warm shutdown, SIGQUIT: cold)."""
    set_runner(runner)
    signals.worker_process_init.connect(_fresh_process_state, weak=False)
    app = make_app()
    app.worker_main(worker_argv(queues=queues, concurrency=concurrency, hostname=hostname, loglevel=loglevel))
