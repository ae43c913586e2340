"""Paged, set-based reads behind the REST API: DAGs, runs and task instances by page with their total, the grid's
state counts over many runs in one grouped query, tries, XCom rows, pool usage by state.

Nothing here reads one row per mapped instance beyond the page asked for; the caller owns the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from dagmap.states import TaskInstanceState
from dagmap.store.orm import (
    DagRow,
    DagRunRow,
    DagScheduleAssetReferenceRow,
    PoolRow,
    SerializedDagRow,
    TaskInstanceHistoryRow,
    XComRow,
)
from dagmap.store.orm import TaskInstanceRow as TI
from dagmap.store.queries._sql import state_in


class Page(NamedTuple):
    rows: list[Any]
    total: int


def paged_rows(session: Session, statement: Select[Any], limit: int, offset: int) -> Page:
    """One page of ``statement``'s rows (already ordered; tuples of its columns) with how many rows it has in
    all, in one statement (``count(*) OVER ()``); a page past the end takes a second, counting statement."""
    counted = statement.add_columns(func.count().over().label("total_entries"))
    rows = session.execute(counted.limit(limit).offset(offset)).all()
    if rows:
        return Page([tuple(row)[:-1] for row in rows], int(rows[0][-1]))
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    return Page([], int(total))


def containing(text: str) -> str:
    """A LIKE pattern (escape ``\\``) matching values that contain ``text`` as it is (``%`` and ``_`` too)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _paged(session: Session, statement: Select[Any], limit: int, offset: int) -> Page:
    """``paged_rows`` of a statement selecting one entity: the page holds the entities."""
    page = paged_rows(session, statement, limit, offset)
    return Page([row[0] for row in page.rows], page.total)


def list_dags(
    session: Session,
    *,
    limit: int,
    offset: int,
    paused: bool | None = None,
    dag_id_pattern: str | None = None,
    tags: Collection[str] = (),
) -> Page:
    """``dag`` rows by DAG id. Tags are matched in Python (a JSON list column), over the rows the other
    filters keep: there are few DAGs compared with task instances."""
    statement = select(DagRow)
    if paused is not None:
        statement = statement.where(DagRow.is_paused.is_(paused))
    if dag_id_pattern:
        statement = statement.where(DagRow.dag_id.like(containing(dag_id_pattern), escape="\\"))
    statement = statement.order_by(DagRow.dag_id)
    if not tags:
        return _paged(session, statement, limit, offset)
    wanted = set(tags)
    rows = [row for row in session.execute(statement).scalars() if wanted & set(row.tags or ())]
    return Page(rows[offset : offset + limit], len(rows))


def get_dag(session: Session, dag_id: str) -> DagRow | None:
    return session.get(DagRow, dag_id)


class LatestRun(NamedTuple):
    dag_id: str
    run_id: str
    state: str
    logical_date: datetime | None
    run_type: str


def latest_runs(session: Session, dag_ids: Collection[str], per_dag: int) -> dict[str, list[LatestRun]]:
    """``{dag_id: its latest per_dag runs, newest logical date first}`` (as ``list_runs`` orders them): one
    query whatever the number of DAGs (``row_number() OVER (PARTITION BY dag_id ...)``)."""
    if not dag_ids or per_dag < 1:
        return {}
    run = DagRunRow
    rank = func.row_number().over(partition_by=run.dag_id, order_by=(run.logical_date.desc(), run.id.desc()))
    ranked = (
        select(run.dag_id, run.run_id, run.state, run.logical_date, run.run_type, rank.label("position"))
        .where(run.dag_id.in_(sorted(dag_ids)))
        .subquery()
    )
    statement = (
        select(ranked.c.dag_id, ranked.c.run_id, ranked.c.state, ranked.c.logical_date, ranked.c.run_type)
        .where(ranked.c.position <= per_dag)
        .order_by(ranked.c.dag_id, ranked.c.position)
    )
    found: dict[str, list[LatestRun]] = {}
    for row in session.execute(statement):
        found.setdefault(row[0], []).append(LatestRun(*row))
    return found


def asset_conditions(session: Session, dag_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """``{dag_id: asset condition JSON}`` of those DAGs that are scheduled on assets: one query, reading the
    stored spec of those DAGs only."""
    if not dag_ids:
        return {}
    scheduled = select(DagScheduleAssetReferenceRow.dag_id)
    statement = select(SerializedDagRow.dag_id, SerializedDagRow.data).where(
        SerializedDagRow.dag_id.in_(sorted(dag_ids)), SerializedDagRow.dag_id.in_(scheduled)
    )
    found: dict[str, dict[str, Any]] = {}
    for dag_id, data in session.execute(statement):
        timetable = json.loads(data).get("timetable") or {}
        if timetable.get("type") == "asset":
            found[dag_id] = dict(timetable["condition"])
    return found


def list_runs(session: Session, dag_id: str, *, limit: int, offset: int, states: Collection[str] | None = None) -> Page:
    """The DAG's runs, newest logical date first."""
    statement = select(DagRunRow).where(DagRunRow.dag_id == dag_id)
    if states:
        statement = statement.where(DagRunRow.state.in_(sorted(states)))
    statement = statement.order_by(DagRunRow.logical_date.desc(), DagRunRow.id.desc())
    return _paged(session, statement, limit, offset)


def list_instances(
    session: Session,
    dag_id: str,
    run_id: str,
    *,
    limit: int,
    offset: int,
    task_id: str | None = None,
    states: Collection[TaskInstanceState | None] | None = None,
) -> Page:
    """One page of a run's instances (of one task, in some states), by task id then map index."""
    statement = select(TI).where(TI.dag_id == dag_id, TI.run_id == run_id)
    if task_id is not None:
        statement = statement.where(TI.task_id == task_id)
    if states is not None:
        statement = statement.where(state_in(TI.state, states))
    return _paged(session, statement.order_by(TI.task_id, TI.map_index), limit, offset)


def instances_of_runs(session: Session, dag_id: str, run_ids: Collection[str]) -> list[TI]:
    """Every instance of these runs of one DAG, by run, task and map index (one query)."""
    if not run_ids:
        return []
    statement = select(TI).where(TI.dag_id == dag_id, TI.run_id.in_(sorted(run_ids)))
    return list(session.execute(statement.order_by(TI.run_id, TI.task_id, TI.map_index)).scalars())


def set_run_note(session: Session, dag_id: str, run_id: str, note: str | None) -> None:
    session.execute(
        update(DagRunRow)
        .where(DagRunRow.dag_id == dag_id, DagRunRow.run_id == run_id)
        .values(note=note)
        .execution_options(synchronize_session=False)
    )


class GridCount(NamedTuple):
    run_id: str
    task_id: str
    state: TaskInstanceState | None
    number: int
    max_map_index: int
    """The largest map index among them: -1 while a mapped task has only its placeholder (not expanded)."""


def grid_counts(session: Session, dag_id: str, run_ids: Collection[str]) -> list[GridCount]:
    """Instances per (task, run, state) over these runs of one DAG: one grouped query."""
    if not run_ids:
        return []
    statement = (
        select(TI.run_id, TI.task_id, TI.state, func.count(), func.max(TI.map_index))
        .where(TI.dag_id == dag_id, TI.run_id.in_(sorted(run_ids)))
        .group_by(TI.task_id, TI.run_id, TI.state)
    )
    return [
        GridCount(run_id, task_id, TaskInstanceState(state) if state else None, int(number), int(top))
        for run_id, task_id, state, number, top in session.execute(statement)
    ]


class TryRecord(NamedTuple):
    try_number: int
    state: str | None
    start_date: datetime | None
    end_date: datetime | None
    duration: float | None
    hostname: str | None


def ended_tries(session: Session, dag_id: str, run_id: str, task_id: str, map_index: int) -> list[TryRecord]:
    """The instance's recorded (ended) tries, by try number."""
    history = TaskInstanceHistoryRow
    statement = (
        select(
            history.try_number, history.state, history.start_date, history.end_date, history.duration, history.hostname
        )
        .where(
            history.dag_id == dag_id,
            history.run_id == run_id,
            history.task_id == task_id,
            history.map_index == map_index,
        )
        .order_by(history.try_number, history.id)
    )
    return [TryRecord(*row) for row in session.execute(statement)]


def xcom_rows(session: Session, dag_id: str, run_id: str, task_id: str, map_index: int | None) -> list[XComRow]:
    """XCom rows of a task's instances in a run (of one instance when ``map_index`` is given), by map index and
    key."""
    statement = select(XComRow).where(XComRow.dag_id == dag_id, XComRow.run_id == run_id, XComRow.task_id == task_id)
    if map_index is not None:
        statement = statement.where(XComRow.map_index == map_index)
    return list(session.execute(statement.order_by(XComRow.map_index, XComRow.key)).scalars())


def pool_usage(session: Session) -> dict[str, dict[str, int]]:
    """``{pool: {state: slots}}`` held by queued and running instances: one grouped query."""
    statement = (
        select(TI.pool, TI.state, func.sum(TI.pool_slots))
        .where(TI.state.in_([TaskInstanceState.QUEUED.value, TaskInstanceState.RUNNING.value]))
        .group_by(TI.pool, TI.state)
    )
    found: dict[str, dict[str, int]] = {}
    for pool, state, slots in session.execute(statement):
        found.setdefault(pool, {})[str(state)] = int(slots or 0)
    return found


def pool_exists(session: Session, name: str) -> bool:
    return session.scalar(select(PoolRow.id).where(PoolRow.pool == name)) is not None


def ping(session: Session) -> None:
    """A trivial statement: raises when the database cannot be reached."""
    session.execute(select(1))
