"""Heartbeats of running task instances: a background thread records ``last_heartbeat_at`` every few seconds
while a worker runs tries, so that the scheduler can tell a long task from a dead worker.

A try's start counts as its first heartbeat; the thread only matters for tries longer than the interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager

from dagmap.config import get_settings
from dagmap.executors.base import Workload
from dagmap.model.keys import TaskInstanceKey
from dagmap.runner.client import RuntimeClient
from dagmap.states import TaskInstanceState

log = logging.getLogger(__name__)


def heartbeat_interval() -> float:
    """Seconds between two heartbeats: ``scheduler.heartbeat_interval``, but at least three beats within
    ``scheduler.task_instance_heartbeat_timeout``."""
    scheduler = get_settings().scheduler
    return max(0.05, min(scheduler.heartbeat_interval, scheduler.task_instance_heartbeat_timeout / 3))


class HeartbeatThread:
    """Calls ``beat()`` every ``interval`` seconds until stopped; errors (the database briefly unavailable)
    are logged and the next beat tries again."""

    def __init__(self, beat: Callable[[], object], interval: float, *, name: str = "dagmap-heartbeat") -> None:
        self._beat = beat
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(self._interval + 5)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._beat()
            except Exception as error:
                log.warning("task heartbeat failed (will try again): %s", str(error).splitlines()[0][:200])


@contextmanager
def heartbeating(
    client: RuntimeClient,
    keys: Collection[TaskInstanceKey] | Callable[[], Collection[TaskInstanceKey]],
    *,
    interval: float | None = None,
    try_numbers: Mapping[TaskInstanceKey, int] | None = None,
) -> Iterator[None]:
    """Heartbeat ``keys`` (or the keys a callable returns at each beat: a batch's unfinished tries) while the
    block runs. An instance that is no longer running (the try ``try_numbers`` names, when given) is simply
    not updated."""

    def beat() -> None:
        for key in keys() if callable(keys) else keys:
            client.heartbeat(key, try_numbers.get(key) if try_numbers is not None else None)

    thread = HeartbeatThread(beat, interval if interval is not None else heartbeat_interval())
    thread.start()
    try:
        yield
    finally:
        thread.stop()


def run_workload_with_heartbeat(workload: Workload) -> TaskInstanceState | None:
    """:func:`dagmap.runner.entry.run_workload` with a heartbeat while it runs: what the scheduler service
    gives its LocalExecutor (and what Celery workers can use: ``runner="dagmap.runner.heartbeat:..."``)."""
    from dagmap.runner.entry import _client, run_workload

    client = _client(get_settings().sql_alchemy_conn)
    with heartbeating(client, [workload.key], try_numbers={workload.key: workload.try_number}):
        return run_workload(workload)
