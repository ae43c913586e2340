"""A stand-in for the task runner and a clock for scheduler tests (no SDK, no user code).

``FakeRunner`` does what the runner does to the database, through the same store functions: start the try,
push an XCom and record the task_map length when asked, finish the try (retry rules included), skip tasks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from dagmap.executors.base import ExecutorEvent, Workload
from dagmap.executors.inline import InlineExecutor
from dagmap.model.keys import TaskInstanceKey
from dagmap.model.spec import DagSpec
from dagmap.scheduler.retries import failure_outcome
from dagmap.states import TaskInstanceState
from dagmap.store.orm import TaskInstanceRow, XComRow
from dagmap.store.queries import task_instances

TI = TaskInstanceState


class FakeClock:
    """Time that moves only when the loop sleeps: retry delays pass without waiting."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@dataclass
class Behaviour:
    """What a task does. ``fails(map_index, try_number)`` decides failure; ``length`` is recorded in task_map
    (an unmapped task feeding a mapping); ``push(map_index)`` False pushes nothing (a None return)."""

    fails: Callable[[int, int], bool] = lambda index, attempt: False
    skips: bool = False
    length: int | None = None
    push: Callable[[int], bool] = lambda index: True
    skip_downstream: tuple[str, ...] = ()
    dies: Callable[[int, int], bool] = lambda index, attempt: False
    """The process dies before the try starts (the executor reports failed; the instance is still queued)."""


@dataclass
class FakeRunner:
    sessions: sessionmaker[Session]
    spec: DagSpec
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ran: list[tuple[str, int, int]] = field(default_factory=list)
    """``(task_id, map_index, try_number)`` of every try that ran."""
    attempts: dict[TaskInstanceKey, int] = field(default_factory=dict)

    def __call__(self, workload: Workload) -> TaskInstanceState | None:
        key = workload.key
        behaviour = self.behaviours.get(key.task_id, Behaviour())
        self.attempts[key] = self.attempts.get(key, 0) + 1
        if behaviour.dies(key.map_index, self.attempts[key]):
            raise RuntimeError(f"worker died running {key}")
        with self.sessions.begin() as session:
            started = task_instances.start_try(session, key, hostname="test", pid=1)
            if started is not None:  # a new try starts without the values of the last one
                session.execute(delete(XComRow).filter_by(**key._asdict()))
        if started is None:
            return None
        assert started.try_number == workload.try_number
        self.ran.append((key.task_id, key.map_index, started.try_number))
        task = self.spec.task(key.task_id)
        with self.sessions.begin() as session:
            if behaviour.fails(key.map_index, started.try_number):
                state, retry_at = failure_outcome(task, started.try_number, self.clock(), max_tries=started.max_tries)
                task_instances.finish_try(session, key, state=state, error="it failed", next_retry_at=retry_at)
                return state
            if behaviour.skips:
                task_instances.finish_try(session, key, state=TI.SKIPPED)
                return TI.SKIPPED
            if behaviour.push(key.map_index):
                value = json.dumps([key.task_id, key.map_index])
                session.add(XComRow(**key._asdict(), key="return_value", value=value, timestamp=self.clock()))
            if behaviour.length is not None:
                task_instances.record_task_map(session, key, length=behaviour.length, keys=None)
            task_instances.finish_try(session, key, state=TI.SUCCESS, rendered_map_index=f"#{key.map_index}")
            if behaviour.skip_downstream:
                task_instances.skip_tasks(session, key.dag_id, key.run_id, behaviour.skip_downstream)
            return TI.SUCCESS


class CountingExecutor(InlineExecutor):
    """An InlineExecutor that, at every heartbeat, records how many instances hold slots (queued + running)
    per pool and per task in the database before it runs anything."""

    def __init__(self, run: Callable[[Workload], TaskInstanceState | None], sessions: sessionmaker[Session]) -> None:
        super().__init__(run)
        self._sessions = sessions
        self.per_pool: list[dict[str, int]] = []
        self.per_task: list[dict[tuple[str, str], int]] = []

    def heartbeat(self) -> list[ExecutorEvent]:
        busy = TaskInstanceRow.state.in_([TI.QUEUED.value, TI.RUNNING.value])
        with self._sessions() as session:
            pools = session.execute(
                select(TaskInstanceRow.pool, func.sum(TaskInstanceRow.pool_slots)).where(busy).group_by("pool")
            )
            self.per_pool.append({pool: int(n) for pool, n in pools})
            tasks = session.execute(
                select(TaskInstanceRow.run_id, TaskInstanceRow.task_id, func.count())
                .where(busy)
                .group_by(TaskInstanceRow.run_id, TaskInstanceRow.task_id)
            )
            self.per_task.append({(run_id, task_id): int(n) for run_id, task_id, n in tasks})
        return super().heartbeat()


class HoldingExecutor:
    """Takes workloads and never runs them (the test decides what happens): for counting a step's queries."""

    def __init__(self) -> None:
        self.workloads: list[Workload] = []

    def start(self) -> None:
        pass

    def queue_workload(self, workload: Workload) -> None:
        self.workloads.append(workload)

    @property
    def open_slots(self) -> int:
        return 100_000

    def heartbeat(self) -> list[ExecutorEvent]:
        return []

    def end(self) -> None:
        pass

    def terminate(self) -> None:
        pass


def states(sessions: sessionmaker[Session], dag_id: str, run_id: str) -> dict[str, list[str | None]]:
    """``{task_id: [state of map index -1 or 0, 1, ...]}`` (removed instances included)."""
    found: dict[str, list[str | None]] = {}
    with sessions() as session:
        for row in task_instances.list_for_run(session, dag_id, run_id):
            found.setdefault(row.task_id, []).append(row.state)
    return found
