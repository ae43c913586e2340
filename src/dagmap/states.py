"""States of task instances and DAG runs, and the legal moves between them.

A leaf module: imported by the SDK, the scheduler, the runner and the store alike.
"""

from __future__ import annotations

from enum import StrEnum


class TaskInstanceState(StrEnum):
    # ``None`` in the database means "no status yet" (created, waiting for its upstream).
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"
    UP_FOR_RESCHEDULE = "up_for_reschedule"
    UPSTREAM_FAILED = "upstream_failed"
    SKIPPED = "skipped"
    REMOVED = "removed"
    RESTARTING = "restarting"
    DEFERRED = "deferred"


class DagRunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


class DagRunType(StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"
    BACKFILL = "backfill"
    TEST = "test"
    ASSET_TRIGGERED = "asset_triggered"
    """Created by the scheduler when the DAG's asset condition holds (Airflow 2: ``dataset_triggered``)."""


TI = TaskInstanceState

FINISHED_STATES: frozenset[TaskInstanceState] = frozenset(
    {TI.SUCCESS, TI.FAILED, TI.SKIPPED, TI.UPSTREAM_FAILED, TI.REMOVED}
)
"""States after which a task instance will not run again unless cleared."""

UNFINISHED_STATES: frozenset[TaskInstanceState | None] = frozenset(
    {None, TI.SCHEDULED, TI.QUEUED, TI.RUNNING, TI.UP_FOR_RETRY, TI.UP_FOR_RESCHEDULE, TI.RESTARTING, TI.DEFERRED}
)

FAILED_STATES: frozenset[TaskInstanceState] = frozenset({TI.FAILED, TI.UPSTREAM_FAILED})

# Legal transitions of a task instance. Clearing (any state -> None) is always legal and is not listed.
_LEGAL: dict[TaskInstanceState | None, frozenset[TaskInstanceState | None]] = {
    None: frozenset({TI.SCHEDULED, TI.SKIPPED, TI.UPSTREAM_FAILED, TI.REMOVED, TI.QUEUED, TI.RUNNING, TI.FAILED}),
    TI.SCHEDULED: frozenset({TI.QUEUED, TI.SKIPPED, TI.UPSTREAM_FAILED, TI.REMOVED, TI.RUNNING, TI.FAILED, None}),
    TI.QUEUED: frozenset({TI.RUNNING, TI.SCHEDULED, TI.FAILED, TI.UP_FOR_RETRY, TI.REMOVED, TI.SKIPPED, TI.SUCCESS}),
    TI.RUNNING: frozenset(
        {TI.SUCCESS, TI.FAILED, TI.UP_FOR_RETRY, TI.SKIPPED, TI.UP_FOR_RESCHEDULE, TI.DEFERRED, TI.RESTARTING}
    ),
    TI.UP_FOR_RETRY: frozenset({TI.SCHEDULED, TI.QUEUED, TI.RUNNING, TI.FAILED, TI.REMOVED, TI.SKIPPED}),
    TI.UP_FOR_RESCHEDULE: frozenset({TI.SCHEDULED, TI.QUEUED, TI.RUNNING, TI.FAILED, TI.REMOVED}),
    TI.RESTARTING: frozenset({TI.SCHEDULED, TI.QUEUED, TI.FAILED, TI.UP_FOR_RETRY, None}),
    TI.DEFERRED: frozenset({TI.SCHEDULED, TI.QUEUED, TI.FAILED, TI.SUCCESS}),
    TI.SUCCESS: frozenset({TI.REMOVED}),
    TI.FAILED: frozenset({TI.REMOVED}),
    TI.SKIPPED: frozenset({TI.REMOVED}),
    TI.UPSTREAM_FAILED: frozenset({TI.REMOVED, TI.SKIPPED}),
    TI.REMOVED: frozenset({None, TI.SCHEDULED}),
}


# Marking by hand (the API, the UI): a person may set an instance success, failed or skipped from any state
# that no worker owns — never queued, running, restarting or deferred (the try in flight would be overwritten),
# nor removed. Kept apart from ``_LEGAL``: the scheduler and workers never move a failed instance to success.
MARKABLE_BY_HAND: frozenset[TaskInstanceState] = frozenset({TI.SUCCESS, TI.FAILED, TI.SKIPPED})
_MARKED_FROM: frozenset[TaskInstanceState | None] = frozenset(
    {None, TI.SCHEDULED, TI.UP_FOR_RETRY, TI.UP_FOR_RESCHEDULE, TI.SUCCESS, TI.FAILED, TI.SKIPPED, TI.UPSTREAM_FAILED}
)


def marking_sources(new: TaskInstanceState) -> frozenset[TaskInstanceState | None]:
    """The states from which a person may mark an instance ``new`` (one of ``MARKABLE_BY_HAND``)."""
    if new not in MARKABLE_BY_HAND:
        return frozenset()
    return _MARKED_FROM - {new}


def is_legal_transition(current: TaskInstanceState | None, new: TaskInstanceState | None) -> bool:
    """Whether a task instance may move from ``current`` to ``new`` (clearing to None is always legal)."""
    if new is None or current == new:
        return True
    return new in _LEGAL.get(current, frozenset())


def sources_for(new: TaskInstanceState) -> frozenset[TaskInstanceState | None]:
    """Every state from which ``new`` may be reached: use it in a set-based ``WHERE state IN (...)``."""
    return frozenset({new}) | frozenset(state for state, targets in _LEGAL.items() if new in targets)


# The Grid aggregates a mapped task's instances into one state, by this priority (first wins).
AGGREGATE_PRIORITY: tuple[TaskInstanceState | None, ...] = (
    TI.FAILED,
    TI.UPSTREAM_FAILED,
    TI.UP_FOR_RETRY,
    TI.UP_FOR_RESCHEDULE,
    TI.RUNNING,
    TI.RESTARTING,
    TI.DEFERRED,
    TI.QUEUED,
    TI.SCHEDULED,
    None,
    TI.SUCCESS,
    TI.SKIPPED,
    TI.REMOVED,
)


def aggregate_state(states: list[TaskInstanceState | None] | set[TaskInstanceState | None]) -> TaskInstanceState | None:
    """One state for a mapped task, by the Grid's priority order."""
    present = set(states)
    for state in AGGREGATE_PRIORITY:
        if state in present:
            return state
    return None
