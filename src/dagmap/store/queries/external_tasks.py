"""What a task reads of another DAG (``ExternalTaskSensor``, ``TriggerDagRunOperator``): its stored structure,
its pause flag, and the states of its runs and task instances — one grouped query each, however many mapped
instances the tasks have."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dagmap.states import TaskInstanceState
from dagmap.store.orm import DagRunRow, SerializedDagRow, TaskInstanceRow


def stored_fileloc(session: Session, dag_id: str) -> str | None:
    """The file of a DAG whose structure is stored (by the DAG processor, or by ``dags test``)."""
    return session.scalar(select(SerializedDagRow.fileloc).where(SerializedDagRow.dag_id == dag_id))


def run_states(session: Session, dag_id: str, logical_dates: Collection[datetime]) -> dict[datetime, str]:
    rows = session.execute(
        select(DagRunRow.logical_date, DagRunRow.state).where(
            DagRunRow.dag_id == dag_id, DagRunRow.logical_date.in_(list(logical_dates))
        )
    )
    return {logical_date: state for logical_date, state in rows if logical_date is not None}


def instance_state_counts(
    session: Session, dag_id: str, logical_dates: Collection[datetime], task_ids: Collection[str]
) -> dict[tuple[datetime, str], dict[str | None, int]]:
    """``(logical date, task id)`` → count of instances by state; removed instances are left out."""
    rows = session.execute(
        select(DagRunRow.logical_date, TaskInstanceRow.task_id, TaskInstanceRow.state, func.count())
        .join(
            DagRunRow,
            (DagRunRow.dag_id == TaskInstanceRow.dag_id) & (DagRunRow.run_id == TaskInstanceRow.run_id),
        )
        .where(
            TaskInstanceRow.dag_id == dag_id,
            DagRunRow.logical_date.in_(list(logical_dates)),
            TaskInstanceRow.task_id.in_(list(task_ids)),
            TaskInstanceRow.state.is_distinct_from(TaskInstanceState.REMOVED.value),
        )
        .group_by(DagRunRow.logical_date, TaskInstanceRow.task_id, TaskInstanceRow.state)
    )
    counts: dict[tuple[datetime, str], dict[str | None, int]] = {}
    for logical_date, task_id, state, count in rows:
        if logical_date is None:
            continue
        counts.setdefault((logical_date, task_id), {})[state] = int(count)
    return counts


def run_state(session: Session, dag_id: str, run_id: str) -> str | None:
    return session.scalar(select(DagRunRow.state).where(DagRunRow.dag_id == dag_id, DagRunRow.run_id == run_id))


def run_logical_date(session: Session, dag_id: str, run_id: str) -> tuple[datetime | None] | None:
    """``(logical date,)`` of an existing run; None when there is no such run."""
    row = session.execute(
        select(DagRunRow.logical_date).where(DagRunRow.dag_id == dag_id, DagRunRow.run_id == run_id)
    ).first()
    return None if row is None else (row[0],)
