"""The InlineExecutor keeps the executor contract, runs in queue order and honours its batch limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from executor_contract import ExecutorContract, MakeExecutor, RunWorkload, recording_runner

from dagmap.executors.base import Executor, Workload
from dagmap.executors.inline import InlineExecutor
from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState


class TestInlineExecutorContract(ExecutorContract):
    @pytest.fixture
    def make_executor(self) -> MakeExecutor:
        def make(run: RunWorkload) -> Executor:
            return InlineExecutor(run)

        return make


class TestInlineExecutorBatchedContract(ExecutorContract):
    @pytest.fixture
    def make_executor(self) -> MakeExecutor:
        def make(run: RunWorkload) -> Executor:
            return InlineExecutor(run, max_per_heartbeat=2)

        return make


def _workload(tmp_path: Path, index: int) -> Workload:
    return Workload(TaskInstanceKey("d", "r", "ok", index), try_number=1, dag_fileloc=str(tmp_path))


def test_runs_in_queue_order_and_only_on_heartbeat(tmp_path: Path) -> None:
    seen: list[int] = []

    def run(workload: Workload) -> TaskInstanceState:
        seen.append(workload.key.map_index)
        return recording_runner(workload)

    executor = InlineExecutor(run, max_per_heartbeat=3)
    executor.start()
    for index in range(5):
        executor.queue_workload(_workload(tmp_path, index))
    assert seen == [] and executor.queued == 5
    assert [e.key.map_index for e in executor.heartbeat()] == [0, 1, 2]
    assert [e.key.map_index for e in executor.heartbeat()] == [3, 4]
    assert seen == [0, 1, 2, 3, 4]


def test_terminate_drops_queued_work(tmp_path: Path) -> None:
    executor = InlineExecutor(recording_runner)
    executor.start()
    executor.queue_workload(_workload(tmp_path, 0))
    executor.terminate()
    assert executor.heartbeat() == []
    assert not list(tmp_path.iterdir())


def test_a_batch_runner_gets_up_to_max_per_heartbeat_workloads_at_once(tmp_path: Path) -> None:
    batches: list[list[int]] = []

    def run_batch(workloads: list[Workload]) -> dict[TaskInstanceKey, TaskInstanceState | None]:
        batches.append([w.key.map_index for w in workloads])
        return {w.key: (None if w.key.map_index == 1 else TaskInstanceState.SUCCESS) for w in workloads}

    executor = InlineExecutor(run_batch=run_batch, max_per_heartbeat=2)
    executor.start()
    for index in range(3):
        executor.queue_workload(_workload(tmp_path, index))
    assert [e.key.map_index for e in executor.heartbeat()] == [0]  # index 1 was not startable: no event
    assert [e.key.map_index for e in executor.heartbeat()] == [2]
    assert batches == [[0, 1], [2]]


def test_a_batch_runner_that_breaks_fails_its_whole_batch(tmp_path: Path) -> None:
    def run_batch(workloads: list[Workload]) -> dict[TaskInstanceKey, TaskInstanceState | None]:
        raise RuntimeError("runner broke")

    executor = InlineExecutor(run_batch=run_batch)
    executor.start()
    executor.queue_workload(_workload(tmp_path, 0))
    executor.queue_workload(_workload(tmp_path, 1))
    events = executor.heartbeat()
    assert [(e.key.map_index, e.state) for e in events] == [
        (0, TaskInstanceState.FAILED),
        (1, TaskInstanceState.FAILED),
    ]
    assert all(e.info and "runner broke" in e.info for e in events)
    with pytest.raises(TypeError):
        InlineExecutor()
