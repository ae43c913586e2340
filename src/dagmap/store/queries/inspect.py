"""Reads behind ``tasks logs`` / ``tasks render``: a task's map indexes in a run, one instance's current try, and
the record of its ended tries. Read-only; the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from dagmap.model.keys import TaskInstanceKey
from dagmap.store.orm import TaskInstanceHistoryRow as History
from dagmap.store.orm import TaskInstanceRow as TI
from dagmap.store.queries._sql import key_filter


class InstanceTry(NamedTuple):
    """Where an instance stands: its state and the number of its latest try (0: never started)."""

    state: str | None
    try_number: int
    hostname: str | None


class EndedTry(NamedTuple):
    try_number: int
    state: str | None
    hostname: str | None
    start_date: datetime | None
    end_date: datetime | None


def map_indexes(session: Session, dag_id: str, run_id: str, task_id: str) -> list[tuple[int, str | None]]:
    """``[(map_index, state)]`` of a task's instances in a run, by map index (only these two columns: a mapped
    task may have thousands)."""
    statement = (
        select(TI.map_index, TI.state)
        .where(TI.dag_id == dag_id, TI.run_id == run_id, TI.task_id == task_id)
        .order_by(TI.map_index)
    )
    return [(int(index), state) for index, state in session.execute(statement)]


def instance_try(session: Session, key: TaskInstanceKey) -> InstanceTry | None:
    row = session.execute(select(TI.state, TI.try_number, TI.hostname).where(key_filter(key))).one_or_none()
    return None if row is None else InstanceTry(row.state, int(row.try_number or 0), row.hostname)


def ended_tries(session: Session, key: TaskInstanceKey) -> list[EndedTry]:
    """The instance's ended tries (those since its run was created, clears included), by try number."""
    statement = (
        select(History.try_number, History.state, History.hostname, History.start_date, History.end_date)
        .where(
            History.dag_id == key.dag_id,
            History.run_id == key.run_id,
            History.task_id == key.task_id,
            History.map_index == key.map_index,
        )
        .order_by(History.try_number, History.id)
    )
    return [EndedTry(*row) for row in session.execute(statement)]
