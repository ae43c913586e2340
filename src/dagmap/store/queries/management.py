"""Reads behind the run- and task-management use-cases (CLI and API): whether a DAG is known, runs by id or
logical date, run states, per-task state counts. Set-based; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dagmap.states import TaskInstanceState
from dagmap.store.orm import DagRow, DagRunRow, SerializedDagRow
from dagmap.store.orm import TaskInstanceRow as TI


def dag_is_known(session: Session, dag_id: str) -> bool:
    """Whether the DAG has a ``dag`` or ``serialized_dag`` row."""
    if session.scalar(select(DagRow.dag_id).where(DagRow.dag_id == dag_id)) is not None:
        return True
    return session.scalar(select(SerializedDagRow.dag_id).where(SerializedDagRow.dag_id == dag_id)) is not None


def runs_between(
    session: Session, dag_id: str, start: datetime | None = None, end: datetime | None = None
) -> list[tuple[str, datetime | None]]:
    """``(run_id, logical_date)`` of the DAG's runs whose logical date is in ``[start, end]`` (bounds optional;
    with no bounds every run, those without a logical date included), oldest first."""
    statement = select(DagRunRow.run_id, DagRunRow.logical_date).where(DagRunRow.dag_id == dag_id)
    if start is not None:
        statement = statement.where(DagRunRow.logical_date >= start)
    if end is not None:
        statement = statement.where(DagRunRow.logical_date <= end)
    statement = statement.order_by(DagRunRow.logical_date, DagRunRow.id)
    return [(run_id, logical_date) for run_id, logical_date in session.execute(statement)]


def existing_run_ids(session: Session, dag_id: str, run_ids: Collection[str]) -> set[str]:
    """Which of these run ids the DAG already has."""
    if not run_ids:
        return set()
    statement = select(DagRunRow.run_id).where(DagRunRow.dag_id == dag_id, DagRunRow.run_id.in_(sorted(run_ids)))
    return set(session.scalars(statement))


def run_at(session: Session, dag_id: str, logical_date: datetime) -> DagRunRow | None:
    """The newest run of the DAG at this logical date."""
    statement = (
        select(DagRunRow)
        .where(DagRunRow.dag_id == dag_id, DagRunRow.logical_date == logical_date)
        .order_by(DagRunRow.id.desc())
        .limit(1)
    )
    return session.execute(statement).scalar_one_or_none()


def run_states(session: Session, dag_id: str, run_ids: Collection[str]) -> dict[str, str]:
    """``{run_id: state}`` of these runs (those that exist)."""
    if not run_ids:
        return {}
    statement = select(DagRunRow.run_id, DagRunRow.state).where(
        DagRunRow.dag_id == dag_id, DagRunRow.run_id.in_(sorted(run_ids))
    )
    return {run_id: state for run_id, state in session.execute(statement)}


def state_counts_by_task(
    session: Session, dag_id: str, run_id: str, *, task_id: str | None = None
) -> dict[str, dict[TaskInstanceState | None, int]]:
    """``{task_id: {state: instances}}`` of one run (or one task of it): one grouped query."""
    statement = select(TI.task_id, TI.state, func.count()).where(TI.dag_id == dag_id, TI.run_id == run_id)
    if task_id is not None:
        statement = statement.where(TI.task_id == task_id)
    found: dict[str, dict[TaskInstanceState | None, int]] = {}
    for task, state, number in session.execute(statement.group_by(TI.task_id, TI.state)):
        found.setdefault(task, {})[TaskInstanceState(state) if state else None] = int(number)
    return found
