"""The dagmap Celery app (late acks, prefetch 1, requeue on worker loss, JSON only) and its one task.

Both the scheduler's executor and ``dagmap celery worker`` build their app here, so that they agree.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from celery import Celery, Task

from dagmap.config import get_settings
from dagmap.errors import DagmapError
from dagmap.executors.base import Workload
from dagmap.executors.celery.messages import workload_from_message
from dagmap.states import TaskInstanceState

TASK_NAME = "dagmap.execute_workload"
REDIS_VISIBILITY_TIMEOUT = 6 * 60 * 60
"""Seconds before Redis hands an unacknowledged message to another worker: longer than any task should run."""

RunWorkload = Callable[[Workload], TaskInstanceState | None]
_runner: RunWorkload | None = None


def default_result_backend(broker_url: str) -> str:
    """Redis brokers keep results in the same Redis; RabbitMQ brokers send them back as messages (``rpc://``)."""
    scheme = broker_url.split("://", 1)[0].lower()
    if scheme in {"redis", "rediss", "redis+socket", "sentinel"}:
        return broker_url
    if scheme in {"amqp", "amqps", "pyamqp"}:
        return "rpc://"
    raise DagmapError(f"no default result backend for broker {scheme!r}: set DAGMAP__CELERY__RESULT_BACKEND")


def make_app(broker_url: str | None = None, result_backend: str | None = None) -> Celery:
    """A Celery app for dagmap; broker and result backend default to the ``celery`` settings."""
    settings = get_settings().celery
    broker = broker_url or settings.broker_url
    backend = result_backend or settings.result_backend or default_result_backend(broker)
    app = Celery("dagmap", broker=broker, backend=backend, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_default_queue=settings.default_queue,
        task_create_missing_queues=True,
        result_extended=False,
        broker_connection_retry_on_startup=True,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
    )
    if backend.startswith(("redis", "sentinel")) or broker.startswith(("redis", "sentinel")):
        app.conf.broker_transport_options = {"visibility_timeout": REDIS_VISIBILITY_TIMEOUT}
    app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)(execute_workload)
    return app


def execute_workload(task: Task, message: dict[str, Any]) -> str | None:
    """Run one workload in a worker; the state its try ended in, or None when it was not startable."""
    workload = workload_from_message(message, dags_folder=get_settings().dags_folder)
    state = runner()(workload)
    return None if state is None else TaskInstanceState(state).value


def runner() -> RunWorkload:
    """What runs a workload in this worker: the real runner, heartbeating the try while it runs (so that the
    scheduler can tell a long try from a dead worker), unless :func:`set_runner` chose another."""
    if _runner is None:
        from dagmap.runner.heartbeat import run_workload_with_heartbeat

        return run_workload_with_heartbeat
    return _runner


def set_runner(path: str | None) -> None:
    """Use the function at ``module:name`` to run workloads (tests); None restores the real runner."""
    global _runner
    if path is None:
        _runner = None
        return
    module, _, name = path.partition(":")
    if not module or not name:
        raise DagmapError(f"runner must look like 'module:function', got {path!r}")
    function = getattr(importlib.import_module(module), name)
    if not callable(function):
        raise DagmapError(f"runner {path!r} is not callable")
    _runner = function
