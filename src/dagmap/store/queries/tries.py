"""Starting and ending many tries at once: the runner's hot path when a worker runs a batch of instances.

Same guarded transitions as task_instances.start_try / finish_try, but one statement per (task, chunk of map
indexes) to start and one executemany to end, so thousands of mapped instances cost a handful of round trips.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from dagmap.errors import IllegalStateTransition
from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState, is_legal_transition, sources_for
from dagmap.store.orm import RenderedFieldsRow, TaskInstanceHistoryRow, XComRow
from dagmap.store.orm import TaskInstanceRow as TI
from dagmap.store.queries._sql import chunked, state_in, utcnow

S = TaskInstanceState
_STARTABLE = frozenset({S.QUEUED, S.SCHEDULED, S.UP_FOR_RETRY}) & sources_for(S.RUNNING)
_ENDINGS = frozenset({S.SUCCESS, S.FAILED, S.UP_FOR_RETRY, S.SKIPPED})
_CHUNK = 500
_TABLE = cast(Table, TI.__table__)


class Started(NamedTuple):
    try_number: int
    max_tries: int


class EndedTry(NamedTuple):
    """How one try ended, as the runner measured it."""

    key: TaskInstanceKey
    state: TaskInstanceState
    try_number: int
    start_date: datetime | None
    end_date: datetime
    hostname: str | None
    error: str | None = None
    next_retry_at: datetime | None = None
    rendered_map_index: str | None = None


def _by_task(
    keys: Iterable[TaskInstanceKey], try_numbers: Mapping[TaskInstanceKey, int] | None = None
) -> dict[tuple[str, str, str, int | None], list[int]]:
    groups: dict[tuple[str, str, str, int | None], list[int]] = defaultdict(list)
    for key in keys:
        expected = try_numbers.get(key) if try_numbers is not None else None
        groups[(key.dag_id, key.run_id, key.task_id, expected)].append(key.map_index)
    return groups


def start_tries(
    session: Session,
    keys: Iterable[TaskInstanceKey],
    *,
    hostname: str,
    pid: int,
    executor: str | None = None,
    now: datetime | None = None,
    try_numbers: Mapping[TaskInstanceKey, int] | None = None,
) -> dict[TaskInstanceKey, Started]:
    """queued/scheduled/up_for_retry -> running for every startable key; the others are left out of the result.

    ``try_numbers``: the try each key's workload is about; a key starts only when that is its next try (a
    redelivered message of an earlier try starts nothing). A new try starts without the XCom and rendered
    fields of the previous one.
    """
    now = now or utcnow()
    started: dict[TaskInstanceKey, Started] = {}
    table = _TABLE
    for (dag_id, run_id, task_id, expected), indexes in _by_task(keys, try_numbers).items():
        for chunk in chunked(sorted(set(indexes)), _CHUNK):
            where = and_(
                table.c.dag_id == dag_id,
                table.c.run_id == run_id,
                table.c.task_id == task_id,
                table.c.map_index.in_(list(chunk)),
                *([table.c.try_number == expected - 1] if expected is not None else []),
            )
            rows = session.execute(
                update(table)
                .where(where, state_in(table.c.state, _STARTABLE))
                .values(
                    state=S.RUNNING.value,
                    try_number=table.c.try_number + 1,
                    start_date=now,
                    end_date=None,
                    duration=None,
                    next_retry_at=None,
                    hostname=hostname,
                    pid=pid,
                    executor=executor,
                    last_heartbeat_at=now,
                    updated_at=now,
                )
                .returning(table.c.map_index, table.c.try_number, table.c.max_tries)
            ).all()
            begun = [row.map_index for row in rows]
            for row in rows:
                started[TaskInstanceKey(dag_id, run_id, task_id, row.map_index)] = Started(
                    row.try_number, row.max_tries
                )
            if begun:
                for model in (XComRow, RenderedFieldsRow):
                    session.execute(
                        delete(model).where(
                            model.dag_id == dag_id,
                            model.run_id == run_id,
                            model.task_id == task_id,
                            model.map_index.in_(begun),
                        )
                    )
    return started


_END = (
    update(_TABLE)
    .where(
        _TABLE.c.dag_id == bindparam("k_dag_id"),
        _TABLE.c.run_id == bindparam("k_run_id"),
        _TABLE.c.task_id == bindparam("k_task_id"),
        _TABLE.c.map_index == bindparam("k_map_index"),
        _TABLE.c.try_number == bindparam("k_try_number"),
        _TABLE.c.state == S.RUNNING.value,
    )
    .values(
        state=bindparam("v_state"),
        end_date=bindparam("v_end_date"),
        duration=bindparam("v_duration"),
        next_retry_at=bindparam("v_next_retry_at"),
        rendered_map_index=func.coalesce(bindparam("v_rendered_map_index"), _TABLE.c.rendered_map_index),
        updated_at=bindparam("v_end_date"),
    )
)


def end_tries(session: Session, ended: Sequence[EndedTry]) -> list[TaskInstanceKey]:
    """running -> the try's end state for each, plus one history row each; returns the keys that ended.

    A key whose instance is no longer running this try (cleared or marked meanwhile, or found dead and on a
    newer try) is not changed and not returned.
    """
    if not ended:
        return []
    for item in ended:
        if item.state not in _ENDINGS or not is_legal_transition(S.RUNNING, item.state):
            raise IllegalStateTransition(f"a try cannot end as {item.state}", task_id=item.key.task_id)
    params = [_end_params(item) for item in ended]
    result = session.execute(_END, params)
    if result.rowcount == len(ended):  # type: ignore[attr-defined]
        done = list(ended)
    else:  # some instance changed meanwhile: find which ended (rare, so one statement each)
        done = [item for item, param in zip(ended, params, strict=True) if _end_one(session, param)]
    if done:
        session.execute(insert(cast(Table, TaskInstanceHistoryRow.__table__)), [_history(item) for item in done])
    return [item.key for item in done]


def _end_one(session: Session, param: dict[str, Any]) -> bool:
    row = session.execute(
        select(_TABLE.c.state, _TABLE.c.end_date).where(
            _TABLE.c.dag_id == param["k_dag_id"],
            _TABLE.c.run_id == param["k_run_id"],
            _TABLE.c.task_id == param["k_task_id"],
            _TABLE.c.map_index == param["k_map_index"],
        )
    ).one_or_none()
    return row is not None and row.state == param["v_state"] and row.end_date == param["v_end_date"]


def _end_params(item: EndedTry) -> dict[str, Any]:
    key = item.key
    duration = (item.end_date - item.start_date).total_seconds() if item.start_date else None
    next_retry = (item.next_retry_at or item.end_date) if item.state is S.UP_FOR_RETRY else None
    return {
        "k_dag_id": key.dag_id,
        "k_run_id": key.run_id,
        "k_task_id": key.task_id,
        "k_map_index": key.map_index,
        "k_try_number": item.try_number,
        "v_state": item.state.value,
        "v_end_date": item.end_date,
        "v_duration": duration,
        "v_next_retry_at": next_retry,
        "v_rendered_map_index": item.rendered_map_index[:250] if item.rendered_map_index else None,
    }


def _history(item: EndedTry) -> dict[str, Any]:
    key = item.key
    return {
        "dag_id": key.dag_id,
        "run_id": key.run_id,
        "task_id": key.task_id,
        "map_index": key.map_index,
        "try_number": item.try_number,
        "state": item.state.value,
        "start_date": item.start_date,
        "end_date": item.end_date,
        "duration": (item.end_date - item.start_date).total_seconds() if item.start_date else None,
        "hostname": item.hostname,
        "error": item.error,
    }


def insert_xcoms(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """XCom rows of tries that just ended (their earlier values were removed when the tries started)."""
    if rows:
        session.execute(insert(cast(Table, XComRow.__table__)), list(rows))


def insert_rendered(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(cast(Table, RenderedFieldsRow.__table__)), list(rows))


def make_runnable(session: Session, key: TaskInstanceKey, *, pool: str, queue: str, max_tries: int) -> None:
    """For ``tasks test``: the instance exists (a map index not expanded yet is created) and is scheduled.

    Whatever its state, it is cleared (the one move legal from anywhere), then scheduled.
    """
    where = and_(
        _TABLE.c.dag_id == key.dag_id,
        _TABLE.c.run_id == key.run_id,
        _TABLE.c.task_id == key.task_id,
        _TABLE.c.map_index == key.map_index,
    )
    exists = session.execute(select(_TABLE.c.state).where(where)).one_or_none()
    if exists is None:
        session.execute(
            insert(_TABLE).values(
                **key._asdict(), state=None, try_number=0, max_tries=max_tries, pool=pool, queue=queue
            )
        )
    session.execute(update(_TABLE).where(where).values(state=None, end_date=None, next_retry_at=None))
    session.execute(
        update(_TABLE).where(where, state_in(_TABLE.c.state, sources_for(S.SCHEDULED))).values(state=S.SCHEDULED.value)
    )


def try_number(session: Session, key: TaskInstanceKey) -> int:
    where = and_(
        _TABLE.c.dag_id == key.dag_id,
        _TABLE.c.run_id == key.run_id,
        _TABLE.c.task_id == key.task_id,
        _TABLE.c.map_index == key.map_index,
    )
    return int(session.scalar(select(_TABLE.c.try_number).where(where)) or 0)
