"""CeleryExecutor against real ``dagmap celery worker`` processes on Redis and on RabbitMQ: the executor
contract, routing by queue, time limits, and what a worker killed mid-task leads to."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery_workers import CeleryWorkers, Worker
from executor_contract import ExecutorContract, MakeExecutor, RunWorkload, collect, recording_runner
from executor_workloads import deliveries

from dagmap.executors.base import Executor, ExecutorEvent, Workload
from dagmap.executors.celery import CeleryExecutor
from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState

BROKERS = ["redis", "rabbitmq"]
BEHAVING = "executor_workloads:behaving_runner"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def workload(tmp_path: Path, task_id: str, map_index: int = -1, **kwargs: object) -> Workload:
    key = TaskInstanceKey("celery_dag", "run_1", task_id, map_index)
    return Workload(key=key, try_number=1, dag_fileloc=str(tmp_path), **kwargs)  # type: ignore[arg-type]


def drain(executor: CeleryExecutor, what: str, timeout: float = 30.0) -> list[ExecutorEvent]:
    """Heartbeat until nothing is in flight any more; every event seen on the way."""
    events: list[ExecutorEvent] = []
    wait_for(lambda: events.extend(executor.heartbeat()) or executor.open_slots == executor.parallelism, what, timeout)
    return events


@pytest.fixture
def executors() -> Iterator[Callable[[Worker], CeleryExecutor]]:
    made: list[CeleryExecutor] = []

    def make(worker: Worker, **kwargs: object) -> CeleryExecutor:
        executor = CeleryExecutor(16, broker_url=worker.broker_url, queue_prefix=worker.prefix, **kwargs)  # type: ignore[arg-type]
        executor.start()
        made.append(executor)
        return executor

    yield make
    for executor in made:
        executor.terminate()


class TestCeleryExecutorContract(ExecutorContract):
    @pytest.fixture(params=BROKERS)
    def make_executor(self, request: pytest.FixtureRequest, celery_workers: CeleryWorkers) -> MakeExecutor:
        worker = celery_workers.shared(request.param, "executor_contract:recording_runner", ["default", "q"])

        def make(run: RunWorkload) -> Executor:
            assert run is recording_runner, "the shared worker runs recording_runner"
            return CeleryExecutor(16, broker_url=worker.broker_url, queue_prefix=worker.prefix)

        return make


@pytest.fixture(params=BROKERS)
def broker(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_workloads_go_to_the_workers_of_their_queue(
    broker: str, celery_workers: CeleryWorkers, executors: Callable[..., CeleryExecutor], tmp_path: Path
) -> None:
    alpha = celery_workers.shared(broker, BEHAVING, ["alpha"], concurrency=1)
    beta = celery_workers.start(broker, BEHAVING, ["beta"], prefix=alpha.prefix, concurrency=1)
    executor = executors(alpha)
    for index in range(3):
        executor.queue_workload(workload(tmp_path, "ok", index, queue="alpha"))
        executor.queue_workload(workload(tmp_path, "ok", 10 + index, queue="beta"))
    assert {e.state for e in collect(executor, 6)} == {TaskInstanceState.SUCCESS}
    on_alpha = {deliveries(tmp_path, "ok", index)[0] for index in range(3)}
    on_beta = {deliveries(tmp_path, "ok", 10 + index)[0] for index in range(3)}
    assert on_alpha <= children(alpha.process.pid) and on_beta <= children(beta.process.pid)


def children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(part) for part in text.split()}


def test_a_try_past_its_time_limit_is_killed_and_reported_timed_out(
    broker: str, celery_workers: CeleryWorkers, executors: Callable[..., CeleryExecutor], tmp_path: Path
) -> None:
    worker = celery_workers.shared(broker, BEHAVING, ["alpha"], concurrency=1)
    executor = executors(worker, timeout_grace=0.5)
    executor.queue_workload(workload(tmp_path, "sleep", queue="alpha", execution_timeout=0.5))
    [event] = collect(executor, 1)
    assert event.state is TaskInstanceState.FAILED
    assert event.info and event.info.startswith("timed out") and "TimeLimitExceeded" in event.info
    executor.queue_workload(workload(tmp_path, "ok", queue="alpha"))
    assert [e.state for e in collect(executor, 1)] == [TaskInstanceState.SUCCESS]


def test_a_pool_process_killed_mid_task_gets_its_message_redelivered(
    broker: str, celery_workers: CeleryWorkers, executors: Callable[..., CeleryExecutor], tmp_path: Path
) -> None:
    """acks_late + reject_on_worker_lost: Celery requeues the message and a new pool process receives it.
    The real runner then finds the instance still ``running`` (the killed try) and does not start it, which
    ``behaving_runner`` imitates: no event, the slot frees; the scheduler's heartbeat check ends that try."""
    worker = celery_workers.shared(broker, BEHAVING, ["alpha"], concurrency=1)
    executor = executors(worker)
    executor.queue_workload(workload(tmp_path, "sleep", 1, queue="alpha"))
    wait_for(lambda: bool(deliveries(tmp_path, "sleep", 1)), "the task to start")
    victim = deliveries(tmp_path, "sleep", 1)[0]
    os.kill(victim, signal.SIGKILL)
    assert drain(executor, "the redelivered message to end", timeout=45) == []
    redelivered = deliveries(tmp_path, "sleep", 1)
    assert len(redelivered) == 2 and redelivered[1] != victim
    executor.queue_workload(workload(tmp_path, "ok", queue="alpha"))
    assert [e.state for e in collect(executor, 1)] == [TaskInstanceState.SUCCESS]


def test_a_whole_worker_killed_mid_task_on_rabbitmq_hands_the_message_to_another(
    celery_workers: CeleryWorkers, executors: Callable[..., CeleryExecutor], tmp_path: Path
) -> None:
    """RabbitMQ requeues a dead connection's unacknowledged messages at once. (Redis keeps them until the
    visibility timeout, six hours: see docs/executors.md.)"""
    first = celery_workers.start("rabbitmq", BEHAVING, ["gamma"], concurrency=1)
    executor = executors(first)
    executor.queue_workload(workload(tmp_path, "sleep", 2, queue="gamma"))
    wait_for(lambda: bool(deliveries(tmp_path, "sleep", 2)), "the task to start")
    second = celery_workers.start("rabbitmq", BEHAVING, ["gamma"], prefix=first.prefix, concurrency=1)
    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait(10)
    assert drain(executor, "the redelivered message to end", timeout=45) == []
    pids = deliveries(tmp_path, "sleep", 2)
    assert len(pids) == 2 and pids[1] in children(second.process.pid)
