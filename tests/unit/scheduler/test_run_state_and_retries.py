"""DAG run states from leaves and deadlocks; retry decisions and delays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dagmap.model.spec import TaskSpec
from dagmap.scheduler.retries import MAX_RETRY_DELAY_SECONDS, failure_outcome, next_retry_at, should_retry
from dagmap.scheduler.run_state import run_state
from dagmap.states import DagRunState, TaskInstanceState

TI = TaskInstanceState
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_success_when_every_leaf_is_success_or_skipped() -> None:
    counts = {"a": {TI.FAILED: 1}, "b": {TI.SUCCESS: 3, TI.SKIPPED: 1}, "c": {TI.SKIPPED: 1}}
    # "a" failed but is not a leaf (an all_done leaf ran after it): the run succeeds, as in Airflow.
    assert run_state(counts, {"b", "c"}).state is DagRunState.SUCCESS


@pytest.mark.parametrize("failed", [TI.FAILED, TI.UPSTREAM_FAILED])
def test_failed_when_a_leaf_failed(failed: TaskInstanceState) -> None:
    verdict = run_state({"a": {TI.SUCCESS: 1}, "b": {TI.SUCCESS: 2, failed: 1}}, {"b"})
    assert verdict.state is DagRunState.FAILED
    assert verdict.reason and "'b'" in verdict.reason


def test_running_while_anything_is_unfinished() -> None:
    assert run_state({"a": {TI.FAILED: 1}, "b": {None: 1}}, {"b"}).state is DagRunState.RUNNING
    assert run_state({"a": {TI.UP_FOR_RETRY: 1}, "b": {TI.SUCCESS: 1}}, {"b"}).state is DagRunState.RUNNING


def test_removed_instances_are_finished_and_harmless() -> None:
    assert run_state({"a": {TI.SUCCESS: 2, TI.REMOVED: 3}}, {"a"}).state is DagRunState.SUCCESS


def test_deadlock_fails_with_a_reason_only_when_nothing_is_active() -> None:
    counts = {"a": {TI.SUCCESS: 1}, "b": {None: 1}}
    verdict = run_state(counts, {"b"}, stuck=True, stuck_tasks=("b",))
    assert verdict.state is DagRunState.FAILED
    assert verdict.reason and "deadlock" in verdict.reason and "b" in verdict.reason
    busy = {"a": {TI.RUNNING: 1}, "b": {None: 1}}
    assert run_state(busy, {"b"}, stuck=True).state is DagRunState.RUNNING


def task(**kwargs: object) -> TaskSpec:
    return TaskSpec(task_id="t", operator="X", **kwargs)  # type: ignore[arg-type]


def test_tries_allowed_are_retries_plus_one() -> None:
    spec = task(retries=2)
    assert [should_retry(spec, n) for n in (1, 2, 3)] == [True, True, False]
    assert not should_retry(task(), 1)
    # max_tries from the instance (raised by a clear) wins over the spec
    assert should_retry(spec, 3, max_tries=4)


def test_fixed_delay() -> None:
    spec = task(retries=3, retry_delay=30)
    assert next_retry_at(spec, 1, NOW) == NOW + timedelta(seconds=30)
    assert next_retry_at(spec, 3, NOW) == NOW + timedelta(seconds=30)


def test_exponential_backoff_doubles_and_is_capped() -> None:
    spec = task(retries=10, retry_delay=10, retry_exponential_backoff=True, max_retry_delay=60)
    delays = [(next_retry_at(spec, n, NOW) - NOW).total_seconds() for n in range(1, 6)]
    assert delays == [10, 20, 40, 60, 60]
    uncapped = task(retries=200, retry_delay=10, retry_exponential_backoff=True)
    assert (next_retry_at(uncapped, 150, NOW) - NOW).total_seconds() == MAX_RETRY_DELAY_SECONDS


def test_failure_outcome() -> None:
    spec = task(retries=1, retry_delay=5)
    assert failure_outcome(spec, 1, NOW) == (TI.UP_FOR_RETRY, NOW + timedelta(seconds=5))
    assert failure_outcome(spec, 2, NOW) == (TI.FAILED, None)
