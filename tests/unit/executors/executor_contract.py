"""The contract every Executor keeps. Subclass :class:`ExecutorContract` and provide ``make_executor``.

The runners below are module-level functions (picklable) so that executors running workloads in other
processes run the same suite: each writes what it received to ``workload.dag_fileloc`` (a directory) and
decides its outcome from the task id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dagmap.executors.base import Executor, ExecutorEvent, Workload
from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState

RunWorkload = Callable[[Workload], TaskInstanceState | None]
MakeExecutor = Callable[[RunWorkload], Executor]

OUTCOMES = {"ok": TaskInstanceState.SUCCESS, "fail": TaskInstanceState.FAILED, "skip": TaskInstanceState.SKIPPED}


def recording_runner(workload: Workload) -> TaskInstanceState | None:
    """Writes the workload it got, then ends as its task id says (``boom`` raises, ``gone`` was not startable)."""
    key = workload.key
    record = {
        "key": list(key),
        "try_number": workload.try_number,
        "pool": workload.pool,
        "queue": workload.queue,
        "priority_weight": workload.priority_weight,
        "execution_timeout": workload.execution_timeout,
    }
    name = f"{key.task_id}.{key.map_index}.{workload.try_number}.json"
    (Path(workload.dag_fileloc) / name).write_text(json.dumps(record))
    if key.task_id.startswith("boom"):
        raise RuntimeError(f"boom in {key.task_id}")
    if key.task_id == "gone":
        return None
    return OUTCOMES[key.task_id.split("_")[0]]


def collect(executor: Executor, expected: int, *, timeout: float = 60.0) -> list[ExecutorEvent]:
    """Heartbeat until ``expected`` events came (bounded by ``timeout``), then once more to catch duplicates."""
    events: list[ExecutorEvent] = []
    deadline = time.monotonic() + timeout
    while len(events) < expected:
        events.extend(executor.heartbeat())
        if len(events) >= expected:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"only {len(events)} of {expected} events within {timeout} s: {events}")
        time.sleep(0.01)  # other executors work in other processes; poll, bounded by the deadline
    events.extend(executor.heartbeat())
    return events


class ExecutorContract:
    """Behaviour shared by every executor."""

    @pytest.fixture
    def make_executor(self) -> MakeExecutor:  # pragma: no cover - each implementation overrides it
        raise NotImplementedError

    @pytest.fixture
    def executor(self, make_executor: MakeExecutor) -> Iterator[Executor]:
        executor = make_executor(recording_runner)
        executor.start()
        yield executor
        executor.terminate()

    @staticmethod
    def workload(tmp_path: Path, task_id: str, map_index: int = -1, **kwargs: object) -> Workload:
        key = TaskInstanceKey("contract_dag", "run_1", task_id, map_index)
        return Workload(key=key, try_number=1, dag_fileloc=str(tmp_path), **kwargs)  # type: ignore[arg-type]

    def test_is_an_executor(self, executor: Executor) -> None:
        assert isinstance(executor, Executor)
        assert isinstance(executor.open_slots, int) and executor.open_slots > 0

    def test_every_workload_gives_exactly_one_event_with_the_runners_state(
        self, executor: Executor, tmp_path: Path
    ) -> None:
        workloads = [self.workload(tmp_path, name, i) for i, name in enumerate(["ok", "fail", "skip"] * 5)]
        for workload in workloads:
            executor.queue_workload(workload)
        events = collect(executor, len(workloads))
        assert sorted((e.key, e.state) for e in events) == sorted((w.key, OUTCOMES[w.key.task_id]) for w in workloads)

    def test_the_runner_gets_the_workload_as_queued(self, executor: Executor, tmp_path: Path) -> None:
        workload = self.workload(tmp_path, "ok", 7, pool="p", queue="q", priority_weight=9, execution_timeout=12.5)
        executor.queue_workload(workload)
        collect(executor, 1)
        record = json.loads((tmp_path / "ok.7.1.json").read_text())
        assert record == {
            "key": ["contract_dag", "run_1", "ok", 7],
            "try_number": 1,
            "pool": "p",
            "queue": "q",
            "priority_weight": 9,
            "execution_timeout": 12.5,
        }

    def test_a_runner_that_raises_gives_a_failed_event_with_info(self, executor: Executor, tmp_path: Path) -> None:
        executor.queue_workload(self.workload(tmp_path, "boom"))
        executor.queue_workload(self.workload(tmp_path, "ok"))
        events = {e.key.task_id: e for e in collect(executor, 2)}
        assert events["boom"].state is TaskInstanceState.FAILED
        assert events["boom"].info and "boom in boom" in events["boom"].info
        assert events["ok"].state is TaskInstanceState.SUCCESS

    def test_a_workload_that_was_not_startable_reports_nothing(self, executor: Executor, tmp_path: Path) -> None:
        executor.queue_workload(self.workload(tmp_path, "gone"))
        executor.queue_workload(self.workload(tmp_path, "ok"))
        events = collect(executor, 1)
        assert [(e.key.task_id, e.state) for e in events] == [("ok", TaskInstanceState.SUCCESS)]

    def test_open_slots_never_negative(self, executor: Executor, tmp_path: Path) -> None:
        count = min(executor.open_slots, 20)
        for index in range(count):
            executor.queue_workload(self.workload(tmp_path, "ok", index))
            assert executor.open_slots >= 0
        assert len(collect(executor, count)) == count

    def test_end_finishes_handed_over_work_and_refuses_more(self, executor: Executor, tmp_path: Path) -> None:
        executor.queue_workload(self.workload(tmp_path, "ok"))
        executor.end()
        assert [e.state for e in collect(executor, 1)] == [TaskInstanceState.SUCCESS]
        with pytest.raises(RuntimeError):
            executor.queue_workload(self.workload(tmp_path, "ok", 1))

    def test_heartbeat_without_work_is_empty(self, executor: Executor) -> None:
        assert executor.heartbeat() == []

    def test_terminate_is_final_and_quiet(self, make_executor: MakeExecutor, tmp_path: Path) -> None:
        executor = make_executor(recording_runner)
        executor.start()
        executor.terminate()
        assert executor.heartbeat() == []
