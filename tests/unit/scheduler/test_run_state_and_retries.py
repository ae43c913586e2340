"""DAG run states from leaves and deadlocks; retry decisions and delays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dagmap.model.spec import TaskSpec
from dagmap.scheduler.retries import MAX_RETRY_DELAY_SECONDS, failure_outcome, next_retry_at, should_retry
from dagmap.scheduler.run_state import effective_leaves, run_state
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


# --- setup / teardown: which tasks decide the run --------------------------------------------------------

SETUP_WORK_TEARDOWN = {"setup": {"work", "teardown"}, "work": {"teardown"}, "teardown": set[str]()}


def test_a_teardown_is_not_a_leaf_the_work_before_it_is() -> None:
    assert effective_leaves(SETUP_WORK_TEARDOWN, {"teardown"}) == {"work"}
    # on_failure_fail_dagrun=True: the teardown is not ignorable, it is the leaf
    assert effective_leaves(SETUP_WORK_TEARDOWN, set()) == {"teardown"}


def test_a_failed_teardown_does_not_fail_the_run_unless_it_fails_the_dagrun() -> None:
    counts = {"setup": {TI.SUCCESS: 1}, "work": {TI.SUCCESS: 3}, "teardown": {TI.FAILED: 1}}
    assert run_state(counts, effective_leaves(SETUP_WORK_TEARDOWN, {"teardown"})).state is DagRunState.SUCCESS
    verdict = run_state(counts, effective_leaves(SETUP_WORK_TEARDOWN, set()))
    assert verdict.state is DagRunState.FAILED
    assert verdict.reason and "'teardown'" in verdict.reason


def test_failed_work_before_a_teardown_that_succeeded_fails_the_run() -> None:
    counts = {"setup": {TI.SUCCESS: 1}, "work": {TI.SUCCESS: 2, TI.FAILED: 1}, "teardown": {TI.SUCCESS: 1}}
    verdict = run_state(counts, effective_leaves(SETUP_WORK_TEARDOWN, {"teardown"}))
    assert verdict.state is DagRunState.FAILED
    assert verdict.reason and "'work'" in verdict.reason


def test_a_task_with_a_downstream_that_counts_is_no_leaf() -> None:
    # work -> teardown, work -> report: report decides, and a setup whose only downstream is its teardown
    # is a leaf (as in Airflow: a failed setup fails the run even if nothing else uses it).
    downstream = {"s": {"t"}, "work": {"t", "report"}, "report": set[str](), "t": set[str]()}
    assert effective_leaves(downstream, {"t"}) == {"s", "report"}


def test_only_teardowns_falls_back_to_the_plain_leaves() -> None:
    assert effective_leaves({"t1": {"t2"}, "t2": set[str]()}, {"t1", "t2"}) == {"t2"}
