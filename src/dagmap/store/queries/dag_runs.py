"""DAG runs: create one with all its task instances in one bulk insert, read, list, change state."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dagmap.errors import DagRunAlreadyExists, DagRunNotFound, IllegalStateTransition
from dagmap.model.spec import DagSpec, TaskSpec, dag_spec_to_json, spec_hash
from dagmap.scheduler.expansion import task_instance_count
from dagmap.states import DagRunState, DagRunType, TaskInstanceState
from dagmap.store.orm import (
    AuditLogRow,
    DagCallbackRequestRow,
    DagRunRow,
    RenderedFieldsRow,
    TaskInstanceHistoryRow,
    TaskInstanceRow,
    TaskMapRow,
    XComRow,
)
from dagmap.store.queries import task_instances
from dagmap.store.queries._sql import runs_filter, utcnow

_RUN_MOVES: dict[DagRunState, frozenset[DagRunState]] = {
    DagRunState.QUEUED: frozenset({DagRunState.RUNNING, DagRunState.SUCCESS, DagRunState.FAILED}),
    DagRunState.RUNNING: frozenset({DagRunState.SUCCESS, DagRunState.FAILED, DagRunState.QUEUED}),
    DagRunState.SUCCESS: frozenset({DagRunState.QUEUED, DagRunState.RUNNING, DagRunState.FAILED}),
    DagRunState.FAILED: frozenset({DagRunState.QUEUED, DagRunState.RUNNING, DagRunState.SUCCESS}),
}


class _Interval(Protocol):
    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


def initial_indexes(spec: DagSpec, task: TaskSpec) -> tuple[list[int], TaskInstanceState | None]:
    """The map indexes a task starts with in a new run, and their state.

    Not mapped: ``[-1]``. Mapped over literals only: ``0..n-1`` (or ``[-1]`` skipped when n is 0). Mapped over
    an upstream result (or inside a mapped group whose count is unknown): one placeholder at -1.
    """
    if not task.is_mapped:
        return [-1], None
    count = task_instance_count(spec, task)
    if count is None:
        return [-1], None
    if count == 0:
        return [-1], TaskInstanceState.SKIPPED
    return list(range(count)), None


def create_dag_run(
    session: Session,
    spec: DagSpec,
    *,
    run_id: str,
    logical_date: datetime | None = None,
    data_interval: tuple[datetime, datetime] | _Interval | None = None,
    run_type: DagRunType | str = DagRunType.MANUAL,
    conf: dict[str, Any] | None = None,
    state: DagRunState | str = DagRunState.QUEUED,
    run_after: datetime | None = None,
    now: datetime | None = None,
) -> DagRunRow:
    """Create a run (queued or running) and every task instance it starts with, in one bulk insert."""
    now = now or utcnow()
    state = DagRunState(state)
    if state not in (DagRunState.QUEUED, DagRunState.RUNNING):
        raise IllegalStateTransition(f"a new run is queued or running, not {state}", dag_id=spec.dag_id)
    exists = session.scalar(select(DagRunRow.id).where(DagRunRow.dag_id == spec.dag_id, DagRunRow.run_id == run_id))
    if exists is not None:
        raise DagRunAlreadyExists(f"run {run_id!r} already exists", dag_id=spec.dag_id)
    interval_start: datetime | None
    interval_end: datetime | None
    if isinstance(data_interval, tuple):
        interval_start, interval_end = data_interval
    elif data_interval is not None:
        interval_start, interval_end = data_interval.start, data_interval.end
    else:
        interval_start = interval_end = None
    run = DagRunRow(
        dag_id=spec.dag_id,
        run_id=run_id,
        logical_date=logical_date,
        data_interval_start=interval_start,
        data_interval_end=interval_end,
        run_after=run_after or logical_date or now,
        run_type=str(DagRunType(run_type)),
        state=state.value,
        conf=dict(conf or {}),
        spec_hash=spec_hash(dag_spec_to_json(spec)),
        queued_at=now,
        start_date=now if state is DagRunState.RUNNING else None,
        clear_number=0,
    )
    session.add(run)
    try:
        session.flush()
    except IntegrityError as error:
        raise DagRunAlreadyExists(f"run {run_id!r} already exists", dag_id=spec.dag_id) from error
    rows: list[dict[str, Any]] = []
    for task in spec.tasks:
        indexes, initial = initial_indexes(spec, task)
        rows.extend(task_instances.new_instance_rows(spec.dag_id, run_id, task, indexes, state=initial, now=now))
    task_instances.insert_instances(session, rows)
    return run


def get_dag_run(session: Session, dag_id: str, run_id: str) -> DagRunRow:
    run = session.execute(
        select(DagRunRow).where(DagRunRow.dag_id == dag_id, DagRunRow.run_id == run_id)
    ).scalar_one_or_none()
    if run is None:
        raise DagRunNotFound(f"no run {run_id!r}", dag_id=dag_id)
    return run


def find_dag_runs(session: Session, runs: Collection[tuple[str, str]]) -> list[DagRunRow]:
    """The runs among ``(dag_id, run_id)`` pairs that exist (one query)."""
    statement = select(DagRunRow).where(runs_filter(runs, DagRunRow.dag_id, DagRunRow.run_id))
    return list(session.execute(statement).scalars())


def list_dag_runs(
    session: Session,
    *,
    dag_id: str | None = None,
    states: Collection[DagRunState | str] | None = None,
    limit: int | None = None,
) -> list[DagRunRow]:
    """Runs, newest first (by logical date, then creation)."""
    statement = select(DagRunRow)
    if dag_id is not None:
        statement = statement.where(DagRunRow.dag_id == dag_id)
    if states is not None:
        statement = statement.where(DagRunRow.state.in_([str(DagRunState(s)) for s in states]))
    statement = statement.order_by(DagRunRow.logical_date.desc(), DagRunRow.id.desc()).limit(limit)
    return list(session.execute(statement).scalars())


def set_dag_run_state(
    session: Session, dag_id: str, run_id: str, state: DagRunState | str, *, now: datetime | None = None
) -> bool:
    """Move a run to ``state`` (start/end dates follow); False when it already was in that state."""
    state = DagRunState(state)
    now = now or utcnow()
    current = session.scalar(select(DagRunRow.state).where(DagRunRow.dag_id == dag_id, DagRunRow.run_id == run_id))
    if current is None:
        raise DagRunNotFound(f"no run {run_id!r}", dag_id=dag_id)
    if current == state.value:
        return False
    if state not in _RUN_MOVES[DagRunState(current)]:
        raise IllegalStateTransition(f"a run cannot go from {current} to {state}", dag_id=dag_id)
    values: dict[str, Any] = {"state": state.value}
    if state is DagRunState.RUNNING:
        values.update(start_date=func.coalesce(DagRunRow.start_date, now), end_date=None)
    elif state is DagRunState.QUEUED:
        values.update(queued_at=now, start_date=None, end_date=None)
    else:
        values.update(end_date=now)
    result = session.execute(
        update(DagRunRow)
        .where(DagRunRow.dag_id == dag_id, DagRunRow.run_id == run_id, DagRunRow.state == current)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def running_counts(session: Session, dag_ids: Collection[str]) -> dict[str, int]:
    """Running runs per DAG (for ``max_active_runs``)."""
    rows = session.execute(
        select(DagRunRow.dag_id, func.count())
        .where(DagRunRow.dag_id.in_(sorted(dag_ids)), DagRunRow.state == DagRunState.RUNNING.value)
        .group_by(DagRunRow.dag_id)
    )
    return {dag_id: int(number) for dag_id, number in rows}


def active_runs(session: Session, *, limit: int | None = None) -> list[DagRunRow]:
    """Queued and running runs, oldest first."""
    statement = (
        select(DagRunRow)
        .where(DagRunRow.state.in_([DagRunState.QUEUED.value, DagRunState.RUNNING.value]))
        .order_by(DagRunRow.run_after, DagRunRow.id)
        .limit(limit)
    )
    return list(session.execute(statement).scalars())


def previous_runs(session: Session, runs: Sequence[DagRunRow]) -> dict[tuple[str, str], str]:
    """For each run with a logical date, the run_id of the same DAG's run just before it (by logical date)."""
    found: dict[tuple[str, str], str] = {}
    for run in runs:
        if run.logical_date is None:
            continue
        previous = session.scalar(
            select(DagRunRow.run_id)
            .where(DagRunRow.dag_id == run.dag_id, DagRunRow.logical_date < run.logical_date)
            .order_by(DagRunRow.logical_date.desc())
            .limit(1)
        )
        if previous is not None:
            found[(run.dag_id, run.run_id)] = previous
    return found


def delete_dag_run(session: Session, dag_id: str, run_id: str) -> bool:
    """Delete a run with its task instances, their history, task_map, XCom rows, rendered fields and DAG
    callback requests.

    Values that an XCom backend keeps outside the database are not touched. False when there was no run.
    """
    tables = (TaskMapRow, XComRow, RenderedFieldsRow, TaskInstanceHistoryRow, TaskInstanceRow, DagCallbackRequestRow)
    for table in tables:
        session.execute(
            delete(table)
            .where(table.dag_id == dag_id, table.run_id == run_id)
            .execution_options(synchronize_session=False)
        )
    result = session.execute(
        delete(DagRunRow)
        .where(DagRunRow.dag_id == dag_id, DagRunRow.run_id == run_id)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def record_run_event(
    session: Session, dag_id: str, run_id: str, event: str, extra: str | None = None, *, now: datetime | None = None
) -> None:
    """An audit log line about a run (e.g. why the scheduler failed it)."""
    session.add(AuditLogRow(dttm=now or utcnow(), event=event[:60], dag_id=dag_id, run_id=run_id, extra=extra))
