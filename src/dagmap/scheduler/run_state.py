"""A DAG run's state from the states of its task instances (pure).

Airflow's rule: the run is decided by its leaves (tasks without downstream tasks) once every instance is
finished; a run whose unfinished instances can never run again (deadlock) fails with a reason. Teardown tasks
do not count unless ``on_failure_fail_dagrun`` (see ``effective_leaves``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from dagmap.states import FAILED_STATES, FINISHED_STATES, DagRunState, TaskInstanceState

StateCounts = Mapping[TaskInstanceState | None, int]

ACTIVE_STATES: frozenset[TaskInstanceState] = frozenset(
    {
        TaskInstanceState.SCHEDULED,
        TaskInstanceState.QUEUED,
        TaskInstanceState.RUNNING,
        TaskInstanceState.UP_FOR_RETRY,
        TaskInstanceState.UP_FOR_RESCHEDULE,
        TaskInstanceState.RESTARTING,
        TaskInstanceState.DEFERRED,
    }
)
"""Unfinished states in which an instance is on its way (not waiting for its upstream)."""


def effective_leaves(downstream: Mapping[str, Collection[str]], ignorable: Collection[str]) -> frozenset[str]:
    """The tasks whose states decide a run, as Airflow's ``_tis_for_dagrun_state``: a task all of whose
    downstream tasks are ``ignorable`` (teardowns without ``on_failure_fail_dagrun``), itself not ignorable.

    ``downstream``: ``{task_id: downstream task ids}`` for every task. If that leaves nothing (a DAG of
    teardowns only), the plain leaves.
    """
    leaves = frozenset(
        task_id
        for task_id, below in downstream.items()
        if task_id not in ignorable and all(d in ignorable for d in below)
    )
    return leaves or frozenset(task_id for task_id, below in downstream.items() if not below)


@dataclass(frozen=True, slots=True)
class RunVerdict:
    state: DagRunState
    reason: str | None = None


def run_state(
    counts_by_task: Mapping[str, StateCounts],
    leaves: frozenset[str] | set[str],
    *,
    stuck: bool = False,
    stuck_tasks: tuple[str, ...] = (),
) -> RunVerdict:
    """The state a running DAG run should have now.

    ``counts_by_task``: ``{task_id: {state: instances}}``; ``stuck``: the caller found that no waiting
    instance can run (every unfinished instance is waiting and the trigger rules said wait for all of them).
    """
    unfinished = 0
    active = 0
    for counts in counts_by_task.values():
        for state, number in counts.items():
            if state is None or state not in FINISHED_STATES:
                unfinished += number
            if state in ACTIVE_STATES:
                active += number
    if unfinished:
        if stuck and not active:
            names = ", ".join(stuck_tasks) or "some tasks"
            return RunVerdict(DagRunState.FAILED, f"deadlock: {names} can never run (their upstream is done)")
        return RunVerdict(DagRunState.RUNNING)
    for task_id in leaves:
        for state, number in counts_by_task.get(task_id, {}).items():
            if number and state in FAILED_STATES:
                return RunVerdict(DagRunState.FAILED, f"leaf task {task_id!r} is {state}")
    return RunVerdict(DagRunState.SUCCESS)
