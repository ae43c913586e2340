"""LocalExecutor: the executor contract, process reuse, and what happens when a worker dies or overruns."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from executor_contract import ExecutorContract, MakeExecutor, RunWorkload, collect
from executor_workloads import behaving_batch_runner, behaving_runner, deliveries, pid_file

from dagmap.executors.base import Executor, Workload
from dagmap.executors.local import LocalExecutor
from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState


class TestLocalExecutorContract(ExecutorContract):
    @pytest.fixture
    def make_executor(self) -> MakeExecutor:
        def make(run: RunWorkload) -> Executor:
            return LocalExecutor(2, run)

        return make


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def workload(tmp_path: Path, task_id: str, map_index: int = -1, **kwargs: object) -> Workload:
    key = TaskInstanceKey("pool_dag", "run_1", task_id, map_index)
    return Workload(key=key, try_number=1, dag_fileloc=str(tmp_path), **kwargs)  # type: ignore[arg-type]


def pid_of(tmp_path: Path, task_id: str, map_index: int = -1) -> int:
    """The process that ran the workload (waits until it started)."""
    wait_for(lambda: bool(deliveries(tmp_path, task_id, map_index)), f"{task_id} to start")
    return deliveries(tmp_path, task_id, map_index)[0]


def is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def make_pool() -> Iterator[Callable[..., LocalExecutor]]:
    started: list[LocalExecutor] = []

    def make(parallelism: int = 2, **kwargs: object) -> LocalExecutor:
        kwargs.setdefault("queue_depth", 0)
        executor = LocalExecutor(parallelism, behaving_runner, **kwargs)  # type: ignore[arg-type]
        executor.start()
        started.append(executor)
        return executor

    yield make
    for executor in started:
        executor.terminate()


def test_many_workloads_run_on_the_same_few_processes(make_pool: Callable[..., LocalExecutor], tmp_path: Path) -> None:
    executor = make_pool(2)
    for index in range(40):
        executor.queue_workload(workload(tmp_path, "ok", index))
    events = collect(executor, 40)
    assert {e.state for e in events} == {TaskInstanceState.SUCCESS} and len(events) == 40
    pids = {pid_of(tmp_path, "ok", index) for index in range(40)}
    assert len(pids) <= 2 and os.getpid() not in pids


def test_a_worker_killed_mid_task_fails_that_try_and_is_replaced(
    make_pool: Callable[..., LocalExecutor], tmp_path: Path
) -> None:
    executor = make_pool(2)
    executor.queue_workload(workload(tmp_path, "sleep"))
    executor.queue_workload(workload(tmp_path, "sleep", 1))
    assert executor.open_slots == 0
    victim = pid_of(tmp_path, "sleep")
    os.kill(victim, signal.SIGKILL)
    [event] = collect(executor, 1)
    assert event.key.task_id == "sleep" and event.key.map_index == -1
    assert event.state is TaskInstanceState.FAILED
    assert event.info and "worker died" in event.info and "SIGKILL" in event.info
    assert executor.open_slots == 1  # the other sleeper still runs
    for index in range(4):
        executor.queue_workload(workload(tmp_path, "ok", index))
        assert [e.state for e in collect(executor, 1)] == [TaskInstanceState.SUCCESS]
    runners = {pid_of(tmp_path, "ok", index) for index in range(4)}
    assert victim not in runners and runners.isdisjoint({pid_of(tmp_path, "sleep", 1)})


def test_a_task_that_calls_os_exit_fails_and_its_worker_is_replaced(
    make_pool: Callable[..., LocalExecutor], tmp_path: Path
) -> None:
    executor = make_pool(1)
    executor.queue_workload(workload(tmp_path, "exit"))
    [event] = collect(executor, 1)
    assert event.state is TaskInstanceState.FAILED and event.info and "exit code 3" in event.info
    executor.queue_workload(workload(tmp_path, "ok"))
    assert [e.state for e in collect(executor, 1)] == [TaskInstanceState.SUCCESS]
    assert pid_of(tmp_path, "ok") != pid_of(tmp_path, "exit")


@pytest.mark.parametrize("task_id", ["sysexit", "interrupt"])
def test_sys_exit_or_interrupt_in_the_runner_fail_the_try_but_keep_the_worker(
    make_pool: Callable[..., LocalExecutor], tmp_path: Path, task_id: str
) -> None:
    executor = make_pool(1)
    executor.queue_workload(workload(tmp_path, task_id))
    executor.queue_workload(workload(tmp_path, "ok"))
    events = {e.key.task_id: e for e in collect(executor, 2)}
    assert events[task_id].state is TaskInstanceState.FAILED
    info = events[task_id].info or ""
    assert "SystemExit" in info or "KeyboardInterrupt" in info
    assert events["ok"].state is TaskInstanceState.SUCCESS
    assert pid_of(tmp_path, "ok") == pid_of(tmp_path, task_id)


def test_an_overrunning_try_is_killed_after_its_timeout_and_the_worker_replaced(
    make_pool: Callable[..., LocalExecutor], tmp_path: Path
) -> None:
    executor = make_pool(1, timeout_grace=0.2)
    executor.queue_workload(workload(tmp_path, "sleep", execution_timeout=0.3))
    [event] = collect(executor, 1, timeout=20)
    assert event.state is TaskInstanceState.FAILED
    assert event.info and "timed out" in event.info and "0.3s" in event.info
    stuck = pid_of(tmp_path, "sleep")
    wait_for(lambda: is_gone(stuck), "the overrunning worker to be gone")
    executor.queue_workload(workload(tmp_path, "ok", execution_timeout=30.0))
    assert [e.state for e in collect(executor, 1)] == [TaskInstanceState.SUCCESS]
    assert pid_of(tmp_path, "ok") != stuck


def test_a_try_the_runner_would_not_start_frees_its_slot_without_an_event(
    make_pool: Callable[..., LocalExecutor], tmp_path: Path
) -> None:
    executor = make_pool(1)
    executor.queue_workload(workload(tmp_path, "none"))
    assert executor.open_slots == 0
    events: list[object] = []
    wait_for(lambda: events.extend(executor.heartbeat()) or executor.open_slots == 1, "the slot to be free")
    assert events == [] and pid_file(tmp_path, "none").exists()


def test_end_runs_the_backlog_then_stops_the_workers(make_pool: Callable[..., LocalExecutor], tmp_path: Path) -> None:
    executor = make_pool(1)
    for index in range(3):  # more than open_slots: the rest waits in the parent for a free worker
        executor.queue_workload(workload(tmp_path, "ok", index))
    worker = pid_of(tmp_path, "ok", 0)
    executor.end()
    assert sorted(e.key.map_index for e in executor.heartbeat()) == [0, 1, 2]
    assert executor.open_slots == 0 and executor.heartbeat() == []
    wait_for(lambda: is_gone(worker), "the worker to stop")


def test_terminate_kills_running_work_without_events(make_pool: Callable[..., LocalExecutor], tmp_path: Path) -> None:
    executor = make_pool(1)
    executor.queue_workload(workload(tmp_path, "sleep"))
    executor.queue_workload(workload(tmp_path, "ok"))
    sleeper = pid_of(tmp_path, "sleep")
    executor.terminate()
    wait_for(lambda: is_gone(sleeper), "the worker to be killed")
    assert executor.heartbeat() == [] and not pid_file(tmp_path, "ok").exists()
    with pytest.raises(RuntimeError):
        executor.queue_workload(workload(tmp_path, "ok", 1))


def test_a_worker_that_dies_in_a_batch_fails_every_try_of_the_batch(tmp_path: Path) -> None:
    """Batches form only under load; the batch runner records its tries together at the end, so a worker
    dying mid-batch leaves all of them unrecorded: each is reported, naming the batch."""
    executor = LocalExecutor(1, run_batch=behaving_batch_runner, batch_size=3, queue_depth=8)
    executor.start()
    try:
        executor.queue_workload(workload(tmp_path, "wait"))  # holds the only worker while the backlog builds
        pid_of(tmp_path, "wait")
        for task_id in ("ok_a", "exit", "ok_b"):
            executor.queue_workload(workload(tmp_path, task_id))
        (tmp_path / "gate").touch()
        events = {e.key.task_id: e for e in collect(executor, 4)}
        assert events["wait"].state is TaskInstanceState.SUCCESS
        for task_id in ("ok_a", "exit", "ok_b"):
            assert events[task_id].state is TaskInstanceState.FAILED
            assert "worker died (exit code 3" in (events[task_id].info or "")
            assert "a batch of 3 tries" in (events[task_id].info or "")
        assert not deliveries(tmp_path, "ok_b")  # it never ran
        executor.queue_workload(workload(tmp_path, "ok"))
        assert [e.state for e in collect(executor, 1)] == [TaskInstanceState.SUCCESS]
    finally:
        executor.terminate()
