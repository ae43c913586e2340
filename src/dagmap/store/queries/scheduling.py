"""Set-based reads for the scheduler: one grouped query per question, over every run of a step at once.

Nothing here returns one row per mapped instance except :func:`instance_states`, which the scheduler uses
only for tasks inside mapped task groups (where instance i depends on instance i of its upstream).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func, not_, select, tuple_
from sqlalchemy.orm import Session

from dagmap.states import TaskInstanceState
from dagmap.store.orm import DagRunRow, TaskMapRow, XComRow
from dagmap.store.orm import TaskInstanceRow as TI
from dagmap.store.queries._sql import runs_filter

RunKey = tuple[str, str]
OCCUPYING = (TaskInstanceState.QUEUED.value, TaskInstanceState.RUNNING.value)


class StateCount(NamedTuple):
    dag_id: str
    run_id: str
    task_id: str
    state: TaskInstanceState | None
    placeholder: bool
    """The row(s) at map index -1 (an unmapped instance, or the placeholder of a mapped task)."""
    number: int
    max_index: int


def state_counts(session: Session, runs: Collection[RunKey]) -> list[StateCount]:
    """Instances per run, task, state and (map index -1 or not), with the highest map index: one query."""
    if not runs:
        return []
    placeholder = case((TI.map_index < 0, 1), else_=0)
    statement = (
        select(TI.dag_id, TI.run_id, TI.task_id, TI.state, placeholder, func.count(), func.max(TI.map_index))
        .where(runs_filter(runs))
        .group_by(TI.dag_id, TI.run_id, TI.task_id, TI.state, placeholder)
    )
    return [
        StateCount(dag_id, run_id, task_id, _state(state), bool(flag), int(count), int(top))
        for dag_id, run_id, task_id, state, flag, count, top in session.execute(statement)
    ]


def _state(value: str | None) -> TaskInstanceState | None:
    return TaskInstanceState(value) if value is not None else None


def task_map_lengths(
    session: Session, runs: Collection[RunKey], task_ids: Collection[str]
) -> dict[tuple[str, str, str], int]:
    """Lengths recorded by unmapped tasks (map index -1) of these runs: ``{(dag_id, run_id, task_id): n}``."""
    if not runs or not task_ids:
        return {}
    statement = select(TaskMapRow.dag_id, TaskMapRow.run_id, TaskMapRow.task_id, TaskMapRow.length).where(
        runs_filter(runs, TaskMapRow.dag_id, TaskMapRow.run_id),
        TaskMapRow.task_id.in_(sorted(task_ids)),
        TaskMapRow.map_index == -1,
    )
    return {(d, r, t): int(n) for d, r, t, n in session.execute(statement)}


def pushed_counts(
    session: Session, runs: Collection[RunKey], task_ids: Collection[str]
) -> dict[tuple[str, str, str, str], int]:
    """How many instances of mapped tasks pushed each XCom key: ``{(dag_id, run_id, task_id, key): n}``."""
    if not runs or not task_ids:
        return {}
    statement = (
        select(XComRow.dag_id, XComRow.run_id, XComRow.task_id, XComRow.key, func.count())
        .where(
            runs_filter(runs, XComRow.dag_id, XComRow.run_id),
            XComRow.task_id.in_(sorted(task_ids)),
            XComRow.map_index >= 0,
        )
        .group_by(XComRow.dag_id, XComRow.run_id, XComRow.task_id, XComRow.key)
    )
    return {(d, r, t, k): int(n) for d, r, t, k, n in session.execute(statement)}


def instance_states(
    session: Session, dag_id: str, run_id: str, task_ids: Collection[str]
) -> list[tuple[str, int, TaskInstanceState | None]]:
    """``(task_id, map_index, state)`` of every instance of these tasks in one run."""
    if not task_ids:
        return []
    statement = select(TI.task_id, TI.map_index, TI.state).where(
        TI.dag_id == dag_id, TI.run_id == run_id, TI.task_id.in_(sorted(task_ids))
    )
    return [(t, i, _state(s)) for t, i, s in session.execute(statement)]


def task_state_counts(
    session: Session, dag_id: str, run_id: str, task_ids: Collection[str]
) -> dict[str, dict[TaskInstanceState | None, int]]:
    """``{task_id: {state: instances}}`` for some tasks of one run (e.g. the previous run, depends_on_past)."""
    found: dict[str, dict[TaskInstanceState | None, int]] = {}
    if not task_ids:
        return found
    statement = (
        select(TI.task_id, TI.state, func.count())
        .where(TI.dag_id == dag_id, TI.run_id == run_id, TI.task_id.in_(sorted(task_ids)))
        .group_by(TI.task_id, TI.state)
    )
    for task_id, state, number in session.execute(statement):
        found.setdefault(task_id, {})[_state(state)] = int(number)
    return found


def occupancy(session: Session, dag_ids: Collection[str]) -> list[tuple[str, str, str, int]]:
    """Queued + running instances per ``(dag_id, run_id, task_id)`` of these DAGs (all their runs)."""
    if not dag_ids:
        return []
    statement = (
        select(TI.dag_id, TI.run_id, TI.task_id, func.count())
        .where(TI.dag_id.in_(sorted(dag_ids)), TI.state.in_(OCCUPYING))
        .group_by(TI.dag_id, TI.run_id, TI.task_id)
    )
    return [(d, r, t, int(n)) for d, r, t, n in session.execute(statement)]


class CandidateRow(NamedTuple):
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    pool: str
    pool_slots: int
    priority_weight: int
    logical_date: datetime | None


def scheduled_candidates(
    session: Session,
    runs: Collection[RunKey],
    *,
    limit: int,
    exclude_pools: Iterable[str] = (),
    exclude_runs: Iterable[RunKey] = (),
    exclude_tasks: Iterable[tuple[str, str]] = (),
    exclude_run_tasks: Iterable[tuple[str, str, str]] = (),
) -> list[CandidateRow]:
    """Scheduled instances by priority (desc), logical date, map index; limits already reached are left out
    in SQL so that one starved pool or capped task cannot hide the instances behind it."""
    if not runs or limit <= 0:
        return []
    where: list[Any] = [runs_filter(runs), TI.state == TaskInstanceState.SCHEDULED.value]
    pools, run_keys, tasks, run_tasks = (
        sorted(exclude_pools),
        sorted(exclude_runs),
        sorted(exclude_tasks),
        sorted(exclude_run_tasks),
    )
    if pools:
        where.append(TI.pool.not_in(pools))
    if run_keys:
        where.append(not_(tuple_(TI.dag_id, TI.run_id).in_(run_keys)))
    if tasks:
        where.append(not_(tuple_(TI.dag_id, TI.task_id).in_(tasks)))
    if run_tasks:
        where.append(not_(tuple_(TI.dag_id, TI.run_id, TI.task_id).in_(run_tasks)))
    statement = (
        select(
            TI.dag_id,
            TI.run_id,
            TI.task_id,
            TI.map_index,
            TI.pool,
            TI.pool_slots,
            TI.priority_weight,
            DagRunRow.logical_date,
        )
        .join(DagRunRow, and_(DagRunRow.dag_id == TI.dag_id, DagRunRow.run_id == TI.run_id))
        .where(*where)
        .order_by(TI.priority_weight.desc(), DagRunRow.logical_date, DagRunRow.id, TI.map_index, TI.task_id)
        .limit(limit)
    )
    return [CandidateRow(*row) for row in session.execute(statement)]


def lost_candidates(
    session: Session, keys: Collection[tuple[str, str, str, int]]
) -> list[tuple[str, str, str, int, TaskInstanceState, int, int]]:
    """Of these instances, those still queued or running: ``(*key, state, try_number, max_tries)``."""
    if not keys:
        return []
    statement = select(TI.dag_id, TI.run_id, TI.task_id, TI.map_index, TI.state, TI.try_number, TI.max_tries).where(
        tuple_(TI.dag_id, TI.run_id, TI.task_id, TI.map_index).in_(sorted(keys)), TI.state.in_(OCCUPYING)
    )
    rows = session.execute(statement)
    return [(d, r, t, i, TaskInstanceState(str(s)), n, m) for d, r, t, i, s, n, m in rows]


def earliest_retry(session: Session, runs: Collection[RunKey]) -> datetime | None:
    """The earliest next_retry_at among up_for_retry instances of these runs."""
    if not runs:
        return None
    statement = select(func.min(TI.next_retry_at)).where(
        runs_filter(runs), TI.state == TaskInstanceState.UP_FOR_RETRY.value
    )
    value: datetime | None = session.scalar(statement)
    return value
