"""``airflow.utils.state``: TaskInstanceState, DagRunState, and the older ``State`` constants."""

from __future__ import annotations

from dagmap.states import FINISHED_STATES, DagRunState, TaskInstanceState

__all__ = ["DagRunState", "State", "TaskInstanceState"]


class State:
    """Airflow's ``State``: each task instance state as a constant, ``NONE`` for "no state yet"."""

    NONE = None
    SCHEDULED = TaskInstanceState.SCHEDULED
    QUEUED = TaskInstanceState.QUEUED
    RUNNING = TaskInstanceState.RUNNING
    SUCCESS = TaskInstanceState.SUCCESS
    FAILED = TaskInstanceState.FAILED
    UP_FOR_RETRY = TaskInstanceState.UP_FOR_RETRY
    UP_FOR_RESCHEDULE = TaskInstanceState.UP_FOR_RESCHEDULE
    UPSTREAM_FAILED = TaskInstanceState.UPSTREAM_FAILED
    SKIPPED = TaskInstanceState.SKIPPED
    REMOVED = TaskInstanceState.REMOVED
    RESTARTING = TaskInstanceState.RESTARTING
    DEFERRED = TaskInstanceState.DEFERRED

    finished: frozenset[TaskInstanceState] = FINISHED_STATES
    unfinished: frozenset[TaskInstanceState | None] = frozenset(
        {None, *(state for state in TaskInstanceState if state not in FINISHED_STATES)}
    )
    failed_states: frozenset[TaskInstanceState] = frozenset(
        {TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED}
    )
    success_states: frozenset[TaskInstanceState] = frozenset({TaskInstanceState.SUCCESS, TaskInstanceState.SKIPPED})
