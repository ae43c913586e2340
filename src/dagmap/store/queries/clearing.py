"""Clearing task instances (``tasks clear``, the API's clearTaskInstances): back to no status with their
retries given back, their XCom, task_map and rendered fields deleted, their finished runs queued again.

Statements per task (map indexes as ranges), never per instance. Clearing (any state -> no status) is the
one move legal from anywhere (ADR 0002); the UPDATE is still guarded by the states the caller chose.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, exists, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from dagmap.states import DagRunState, TaskInstanceState
from dagmap.store.orm import DagRunRow, RenderedFieldsRow, TaskMapRow, XComRow
from dagmap.store.orm import TaskInstanceRow as TI
from dagmap.store.queries._sql import RANGES_PER_STATEMENT, chunked, state_in, to_ranges, utcnow

Ranges = tuple[tuple[int, int], ...]
_NO_SYNC = {"synchronize_session": False}
_RUNS_PER_STATEMENT = 500
REFERENCE_HEAD = 200
"""Characters of an XCom value read to tell an object-store reference from an inline value."""


class TaskSelection(NamedTuple):
    """Instances of one task: every one (``ranges`` None) or those whose map index is in ``ranges``."""

    task_id: str
    ranges: Ranges | None = None


def select_task(task_id: str, indexes: Collection[int] | None = None) -> TaskSelection:
    """Every instance of a task (``indexes`` None), or those map indexes (compressed into ranges)."""
    return TaskSelection(task_id, None if indexes is None else tuple(to_ranges(indexes)))


class Instance(NamedTuple):
    run_id: str
    task_id: str
    map_index: int
    state: TaskInstanceState | None


def _ranges_clause(column: Any, ranges: Ranges | Sequence[tuple[int, int]] | None) -> Any:
    if ranges is None:
        return true()
    if not ranges:
        return false()
    return or_(*(column == a if a == b else column.between(a, b) for a, b in ranges))


def _scope(table: Any, dag_id: str, run_ids: Collection[str] | None) -> list[Any]:
    where = [table.dag_id == dag_id]
    if run_ids is not None:
        ids = sorted(run_ids)
        where.append(table.run_id == ids[0] if len(ids) == 1 else table.run_id.in_(ids))
    return where


def _selection_clause(table: Any, selections: Sequence[TaskSelection]) -> Any:
    return or_(*(and_(table.task_id == s.task_id, _ranges_clause(table.map_index, s.ranges)) for s in selections))


def _chunks(selections: Sequence[TaskSelection]) -> list[list[TaskSelection]]:
    """Selections split so that no statement holds more than RANGES_PER_STATEMENT ranges."""
    pieces: list[TaskSelection] = []
    for selection in selections:
        if selection.ranges is None or len(selection.ranges) <= RANGES_PER_STATEMENT:
            pieces.append(selection)
        else:
            pieces.extend(
                TaskSelection(selection.task_id, tuple(part))
                for part in chunked(selection.ranges, RANGES_PER_STATEMENT)
            )
    groups: list[list[TaskSelection]] = []
    size = 0
    for piece in pieces:
        weight = len(piece.ranges) if piece.ranges is not None else 1
        if not groups or size + weight > RANGES_PER_STATEMENT:
            groups.append([])
            size = 0
        groups[-1].append(piece)
        size += weight
    return groups


def select_instances(
    session: Session,
    dag_id: str,
    run_ids: Collection[str] | None,
    selections: Sequence[TaskSelection],
    states: Collection[TaskInstanceState | None],
) -> list[Instance]:
    """The instances among ``selections`` whose state is in ``states`` (what a clear would touch)."""
    if run_ids is not None and not run_ids:
        return []
    found: list[Instance] = []
    for part in _chunks(selections):
        statement = (
            select(TI.run_id, TI.task_id, TI.map_index, TI.state)
            .where(*_scope(TI, dag_id, run_ids), _selection_clause(TI, part), state_in(TI.state, states))
            .order_by(TI.run_id, TI.task_id, TI.map_index)
        )
        found.extend(
            Instance(r, t, i, TaskInstanceState(s) if s is not None else None)
            for r, t, i, s in session.execute(statement)
        )
    return found


def clear_instances(
    session: Session,
    dag_id: str,
    run_ids: Collection[str] | None,
    selections: Sequence[TaskSelection],
    states: Collection[TaskInstanceState],
    retries: Mapping[str, int],
    *,
    now: datetime | None = None,
) -> list[tuple[str, str, int]]:
    """Instances among ``selections`` in one of ``states`` -> no status, ``max_tries = try_number + retries``
    (their task's retries: each gets its retries again), dates and retry time reset. Returns the
    ``(run_id, task_id, map_index)`` cleared. One UPDATE per group of tasks with the same retries (and per
    200 ranges).
    """
    if (run_ids is not None and not run_ids) or not states:
        return []
    now = now or utcnow()
    by_retries: dict[int, list[TaskSelection]] = {}
    for selection in selections:
        by_retries.setdefault(retries.get(selection.task_id, 0), []).append(selection)
    cleared: list[tuple[str, str, int]] = []
    for extra, group in sorted(by_retries.items()):
        for part in _chunks(group):
            result = session.execute(
                update(TI)
                .where(*_scope(TI, dag_id, run_ids), _selection_clause(TI, part), state_in(TI.state, states))
                .values(
                    state=None,
                    max_tries=TI.try_number + extra,
                    start_date=None,
                    end_date=None,
                    duration=None,
                    next_retry_at=None,
                    scheduled_at=None,
                    queued_at=None,
                    queued_by=None,
                    pid=None,
                    external_executor_id=None,
                    updated_at=now,
                )
                .returning(TI.run_id, TI.task_id, TI.map_index)
                .execution_options(**_NO_SYNC)
            )
            cleared.extend((r, t, int(i)) for r, t, i in result)
    return sorted(cleared)


def _no_status_instance(table: Any) -> Any:
    """The task instance of this row exists and has no status (it was just cleared, or never ran)."""
    return exists().where(
        TI.dag_id == table.dag_id,
        TI.run_id == table.run_id,
        TI.task_id == table.task_id,
        TI.map_index == table.map_index,
        TI.state.is_(None),
    )


def xcom_heads(
    session: Session, dag_id: str, run_ids: Collection[str] | None, selections: Sequence[TaskSelection]
) -> list[tuple[str, str, int, str]]:
    """``(run_id, task_id, map_index, first characters of the value)`` of the XComs of cleared instances."""
    if run_ids is not None and not run_ids:
        return []
    heads: list[tuple[str, str, int, str]] = []
    for part in _chunks(selections):
        statement = select(
            XComRow.run_id, XComRow.task_id, XComRow.map_index, func.substr(XComRow.value, 1, REFERENCE_HEAD)
        ).where(*_scope(XComRow, dag_id, run_ids), _selection_clause(XComRow, part), _no_status_instance(XComRow))
        heads.extend((r, t, int(i), str(v)) for r, t, i, v in session.execute(statement))
    return heads


def delete_instance_data(
    session: Session, dag_id: str, run_ids: Collection[str] | None, selections: Sequence[TaskSelection]
) -> int:
    """Delete XCom, task_map and rendered fields of the selected instances that have no status."""
    if run_ids is not None and not run_ids:
        return 0
    deleted = 0
    for part in _chunks(selections):
        for table in (XComRow, TaskMapRow, RenderedFieldsRow):
            result = session.execute(
                delete(table)
                .where(*_scope(table, dag_id, run_ids), _selection_clause(table, part), _no_status_instance(table))
                .execution_options(**_NO_SYNC)
            )
            deleted += int(result.rowcount)  # type: ignore[attr-defined]
    return deleted


def requeue_runs(session: Session, dag_id: str, run_ids: Collection[str], *, now: datetime | None = None) -> list[str]:
    """Runs that got cleared instances: ``clear_number`` + 1; finished ones go back to queued (their dates
    reset) so that the scheduler picks them up. Returns the run ids that were queued again."""
    now = now or utcnow()
    requeued: list[str] = []
    finished = [DagRunState.SUCCESS.value, DagRunState.FAILED.value]
    for part in chunked(sorted(run_ids), _RUNS_PER_STATEMENT):
        scope = [DagRunRow.dag_id == dag_id, DagRunRow.run_id.in_(list(part))]
        session.execute(
            update(DagRunRow)
            .where(*scope)
            .values(clear_number=DagRunRow.clear_number + 1)
            .execution_options(**_NO_SYNC)
        )
        result = session.execute(
            update(DagRunRow)
            .where(*scope, DagRunRow.state.in_(finished))
            .values(
                state=DagRunState.QUEUED.value,
                queued_at=now,
                start_date=None,
                end_date=None,
                last_scheduling_decision=None,
            )
            .returning(DagRunRow.run_id)
            .execution_options(**_NO_SYNC)
        )
        requeued.extend(run_id for (run_id,) in result)
    return sorted(requeued)
