"""The Executor protocol and the values that cross it: a Workload in, an ExecutorEvent out.

A workload names one task instance and one try; it carries no user code and no DAG object, so that it can
cross a process or a broker as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState


@dataclass(frozen=True, slots=True)
class Workload:
    """Run try ``try_number`` of the instance ``key`` (the try about to run: 1 for the first)."""

    key: TaskInstanceKey
    try_number: int
    dag_fileloc: str
    pool: str = "default_pool"
    queue: str = "default"
    priority_weight: int = 1
    execution_timeout: float | None = None
    """Seconds, or None for no limit."""


@dataclass(frozen=True, slots=True)
class ExecutorEvent:
    """How a workload ended, as the executor saw it.

    ``failed`` with the instance still queued or running in the database means the task process died before
    it could record its own end: the scheduler then decides between retry and failure.
    """

    key: TaskInstanceKey
    state: TaskInstanceState
    info: str | None = None
    try_number: int | None = None
    """The try the event is about; a late event about an earlier try is then ignored. None: whichever
    try the instance is on (an event the scheduler derives from the database itself)."""

    @classmethod
    def of(cls, workload: Workload, state: TaskInstanceState, info: str | None = None) -> ExecutorEvent:
        """The event about ``workload``'s try."""
        return cls(workload.key, state, info, workload.try_number)


@runtime_checkable
class Executor(Protocol):
    """Runs workloads and reports their ends. Every method is called from the scheduler's thread.

    The scheduler calls ``start()`` once, then in each loop: ``queue_workload()`` for at most ``open_slots``
    workloads and ``heartbeat()``. ``end()`` refuses new work and lets the work already handed over finish;
    the events of that work still come from ``heartbeat()``. ``terminate()`` stops at once: workloads not
    yet started are dropped without an event (the scheduler finds their instances still queued).
    """

    def start(self) -> None: ...

    def queue_workload(self, workload: Workload) -> None: ...

    @property
    def open_slots(self) -> int:
        """How many more workloads may be queued now (0 when full)."""
        ...

    def heartbeat(self) -> list[ExecutorEvent]:
        """Make progress (run, submit, collect) and return the events since the last call, each once.

        One event per workload, except when the runner reports that the instance was not startable (it
        changed meanwhile): nothing ran and nothing is reported.
        """
        ...

    def end(self) -> None: ...

    def terminate(self) -> None: ...
