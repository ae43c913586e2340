"""InlineExecutor: runs queued workloads one by one in the scheduler's own process, on heartbeat.

For ``dags test`` and tests. The callable that runs one workload (the task runner) is injected.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections import deque
from collections.abc import Callable, Mapping

from dagmap.executors.base import ExecutorEvent, Workload
from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState

log = logging.getLogger(__name__)

RunWorkload = Callable[[Workload], TaskInstanceState | None]
"""Runs one workload and returns the state the try ended in; None when the instance was not startable
(it changed meanwhile: nothing ran, so there is nothing to report)."""

RunWorkloads = Callable[[list[Workload]], Mapping[TaskInstanceKey, TaskInstanceState | None]]
"""Runs several workloads (starting and ending their tries in bulk); the state of each, as RunWorkload."""


class InlineExecutor:
    """Runs every queued workload in-process when ``heartbeat()`` is called; slots are unlimited.

    ``max_per_heartbeat`` bounds how many workloads one heartbeat runs (None: all that are queued), so that
    a scheduler loop interleaves scheduling and running.
    """

    def __init__(
        self,
        run: RunWorkload | None = None,
        *,
        run_batch: RunWorkloads | None = None,
        max_per_heartbeat: int | None = None,
    ) -> None:
        if (run is None) == (run_batch is None):
            raise TypeError("give exactly one of run and run_batch")
        self._run = run
        self._run_batch = run_batch
        self._max_per_heartbeat = max_per_heartbeat
        self._queue: deque[Workload] = deque()
        self._closed = False

    def start(self) -> None:
        self._closed = False

    def queue_workload(self, workload: Workload) -> None:
        if self._closed:
            raise RuntimeError("the executor has ended; start() it again before queueing")
        self._queue.append(workload)

    @property
    def open_slots(self) -> int:
        return 0 if self._closed else sys.maxsize

    @property
    def queued(self) -> int:
        """Workloads waiting for a heartbeat."""
        return len(self._queue)

    def heartbeat(self) -> list[ExecutorEvent]:
        events: list[ExecutorEvent] = []
        budget = len(self._queue) if self._max_per_heartbeat is None else self._max_per_heartbeat
        if self._run_batch is not None:
            batch = [self._queue.popleft() for _ in range(min(budget, len(self._queue)))]
            return self._run_many(batch) if batch else events
        while self._queue and budget > 0:
            budget -= 1
            event = self._run_one(self._queue.popleft())
            if event is not None:
                events.append(event)
        return events

    def _run_many(self, batch: list[Workload]) -> list[ExecutorEvent]:
        assert self._run_batch is not None
        try:
            states = self._run_batch(batch)
        except Exception:  # the runner records task failures itself; this is the runner itself breaking
            log.exception("running a batch of %d workloads failed outside the tasks", len(batch))
            info = traceback.format_exc(limit=20)
            return [ExecutorEvent.of(w, TaskInstanceState.FAILED, info) for w in batch]
        return [
            ExecutorEvent.of(w, TaskInstanceState(state)) for w in batch if (state := states.get(w.key)) is not None
        ]

    def _run_one(self, workload: Workload) -> ExecutorEvent | None:
        assert self._run is not None
        try:
            state = self._run(workload)
        except Exception:  # the runner records task failures itself; this is the runner itself breaking
            log.exception("running %s failed outside the task", workload.key)
            return ExecutorEvent.of(workload, TaskInstanceState.FAILED, traceback.format_exc(limit=20))
        return None if state is None else ExecutorEvent.of(workload, TaskInstanceState(state))

    def end(self) -> None:
        """Refuse new work. Nothing is in flight between heartbeats; a last ``heartbeat()`` runs what is queued."""
        self._closed = True

    def terminate(self) -> None:
        """Drop what is still queued: the scheduler finds those instances queued and deals with them."""
        self._queue.clear()
        self._closed = True
