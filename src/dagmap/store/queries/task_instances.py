"""THE place where task instance states change. Every change is a guarded UPDATE: its WHERE clause only
matches rows whose current state may legally move to the new one (``dagmap.states.sources_for``), so
concurrent writers can never make an illegal move. The runner uses the per-instance functions at the top;
the scheduler uses the set-based ones below them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from dagmap.errors import IllegalStateTransition, TaskInstanceNotFound
from dagmap.model.keys import TaskInstanceKey
from dagmap.model.spec import TaskSpec
from dagmap.states import (
    FINISHED_STATES,
    UNFINISHED_STATES,
    TaskInstanceState,
    is_legal_transition,
    marking_sources,
    sources_for,
)
from dagmap.store.orm import TaskInstanceHistoryRow, TaskMapRow
from dagmap.store.orm import TaskInstanceRow as TI
from dagmap.store.queries._sql import (
    RANGES_PER_STATEMENT,
    chunked,
    key_filter,
    ranges_filter,
    runs_filter,
    state_in,
    to_ranges,
    utcnow,
)

S = TaskInstanceState
STARTABLE: frozenset[TaskInstanceState | None] = frozenset({S.QUEUED, S.SCHEDULED, S.UP_FOR_RETRY})
NOT_STARTED: frozenset[TaskInstanceState | None] = frozenset({None, S.SCHEDULED, S.QUEUED})
_NO_UPDATE_SYNC = {"synchronize_session": False}


class StartedTry(NamedTuple):
    try_number: int
    """The try that is now running (1 for the first)."""
    max_tries: int
    state_before: TaskInstanceState


def _state(value: str | None) -> TaskInstanceState | None:
    return TaskInstanceState(value) if value is not None else None


def _where_state(new: TaskInstanceState | None, allowed: Iterable[TaskInstanceState | None]) -> Any:
    """Current state among ``allowed`` *and* one from which ``new`` is legal (clearing to None always is)."""
    sources = sources_for(new) if new is not None else frozenset(allowed)
    return state_in(TI.state, (set(allowed) & sources) - {new})


def _stamps(state: TaskInstanceState | None, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"updated_at": now}
    if state in FINISHED_STATES:
        values["end_date"] = now
        values["start_date"] = func.coalesce(TI.start_date, now)
    elif state is S.SCHEDULED:
        values["scheduled_at"] = now
    elif state is S.QUEUED:
        values["queued_at"] = now
    return values


# --- per instance: the runner ------------------------------------------------------------------------------


def get_task_instance(session: Session, key: TaskInstanceKey) -> TI | None:
    return session.execute(select(TI).where(key_filter(key))).scalar_one_or_none()


def list_for_run(session: Session, dag_id: str, run_id: str, *, task_id: str | None = None) -> list[TI]:
    """The instances of a run (or of one task in it), by task id then map index."""
    statement = select(TI).where(TI.dag_id == dag_id, TI.run_id == run_id)
    if task_id is not None:
        statement = statement.where(TI.task_id == task_id)
    return list(session.execute(statement.order_by(TI.task_id, TI.map_index)).scalars())


def start_try(
    session: Session,
    key: TaskInstanceKey,
    *,
    hostname: str,
    pid: int,
    executor: str | None = None,
    try_number: int | None = None,
) -> StartedTry | None:
    """queued/scheduled/up_for_retry -> running with the next try number; None when not startable now, or
    when ``try_number`` (the try the caller was asked to run) is not the next one."""
    row = session.execute(
        select(TI.state, TI.try_number, TI.max_tries).where(key_filter(key)).with_for_update()
    ).one_or_none()
    if row is None:
        raise TaskInstanceNotFound(dag_id=key.dag_id, task_id=key.task_id, map_index=key.map_index, run_id=key.run_id)
    before = _state(row.state)
    if before is None or before not in STARTABLE or not is_legal_transition(before, S.RUNNING):
        return None
    if try_number is not None and row.try_number != try_number - 1:
        return None
    now = utcnow()
    result = session.execute(
        update(TI)
        .where(key_filter(key), TI.state == before.value)
        .values(
            state=S.RUNNING.value,
            try_number=TI.try_number + 1,
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
        .execution_options(**_NO_UPDATE_SYNC)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return StartedTry(row.try_number + 1, row.max_tries, before)


def finish_try(
    session: Session,
    key: TaskInstanceKey,
    *,
    state: TaskInstanceState,
    error: str | None = None,
    next_retry_at: datetime | None = None,
    rendered_map_index: str | None = None,
) -> None:
    """running -> ``state`` (success, failed, up_for_retry, skipped); records the try in the history."""
    state = TaskInstanceState(state)
    if state is S.RUNNING or not is_legal_transition(S.RUNNING, state):
        raise IllegalStateTransition(f"a try cannot end as {state}", dag_id=key.dag_id, task_id=key.task_id)
    row = session.execute(
        select(TI.state, TI.try_number, TI.start_date, TI.hostname).where(key_filter(key)).with_for_update()
    ).one_or_none()
    if row is None:
        raise TaskInstanceNotFound(dag_id=key.dag_id, task_id=key.task_id, map_index=key.map_index, run_id=key.run_id)
    if row.state != S.RUNNING.value:
        raise IllegalStateTransition(
            f"the instance is {row.state or 'without status'}, not running: its try cannot end as {state}",
            dag_id=key.dag_id,
            task_id=key.task_id,
            map_index=key.map_index,
        )
    now = utcnow()
    duration = (now - row.start_date).total_seconds() if row.start_date else None
    values: dict[str, Any] = {"state": state.value, "end_date": now, "duration": duration, "updated_at": now}
    values["next_retry_at"] = (next_retry_at or now) if state is S.UP_FOR_RETRY else None
    if rendered_map_index is not None:
        values["rendered_map_index"] = rendered_map_index[:250]
    result = session.execute(
        update(TI)
        .where(key_filter(key), TI.state == S.RUNNING.value)
        .values(**values)
        .execution_options(**_NO_UPDATE_SYNC)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise IllegalStateTransition("the instance changed while its try ended", dag_id=key.dag_id)
    _record_history(session, key, row.try_number, state, row.start_date, now, duration, row.hostname, error)


def _record_history(
    session: Session,
    key: TaskInstanceKey,
    try_number: int,
    state: TaskInstanceState,
    start: datetime | None,
    end: datetime,
    duration: float | None,
    hostname: str | None,
    error: str | None,
) -> None:
    session.execute(
        insert(TaskInstanceHistoryRow).values(
            dag_id=key.dag_id,
            run_id=key.run_id,
            task_id=key.task_id,
            map_index=key.map_index,
            try_number=try_number,
            state=state.value,
            start_date=start,
            end_date=end,
            duration=duration,
            hostname=hostname,
            error=error,
        )
    )


def heartbeat(session: Session, key: TaskInstanceKey, try_number: int | None = None) -> bool:
    """Record that the running try (try ``try_number``, when given) is alive; False when the instance is no
    longer running that try (stop the task): a try found dead and woken later never keeps a newer one alive."""
    current_try = [TI.try_number == try_number] if try_number is not None else []
    result = session.execute(
        update(TI)
        .where(key_filter(key), TI.state == S.RUNNING.value, *current_try)
        .values(last_heartbeat_at=utcnow())
        .execution_options(**_NO_UPDATE_SYNC)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def skip_tasks(
    session: Session, dag_id: str, run_id: str, task_ids: Collection[str], *, map_index: int | None = None
) -> int:
    """Skip the not yet started instances of these tasks (branching, short-circuit); returns how many.

    ``map_index`` restricts the skip to one index: for tasks inside the same mapped task group.
    """
    if not task_ids:
        return 0
    now = utcnow()
    statement = update(TI).where(
        TI.dag_id == dag_id,
        TI.run_id == run_id,
        TI.task_id.in_(sorted(task_ids)),
        _where_state(S.SKIPPED, NOT_STARTED),
    )
    if map_index is not None:
        statement = statement.where(TI.map_index == map_index)
    result = session.execute(
        statement.values(state=S.SKIPPED.value, **_stamps(S.SKIPPED, now)).execution_options(**_NO_UPDATE_SYNC)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def record_task_map(session: Session, key: TaskInstanceKey, *, length: int, keys: list[Any] | None) -> None:
    """Record the length (and dict keys) of the value this instance pushed for a downstream expansion."""
    session.execute(
        delete(TaskMapRow).where(
            TaskMapRow.dag_id == key.dag_id,
            TaskMapRow.run_id == key.run_id,
            TaskMapRow.task_id == key.task_id,
            TaskMapRow.map_index == key.map_index,
        )
    )
    session.execute(
        insert(TaskMapRow).values(
            dag_id=key.dag_id, run_id=key.run_id, task_id=key.task_id, map_index=key.map_index, length=length, keys=keys
        )
    )


def get_task_map(session: Session, key: TaskInstanceKey) -> TaskMapRow | None:
    return session.get(TaskMapRow, tuple(key))


# --- set-based: the scheduler ----------------------------------------------------------------------------


def new_instance_rows(
    dag_id: str,
    run_id: str,
    task: TaskSpec,
    indexes: Iterable[int],
    *,
    state: TaskInstanceState | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Rows for new instances of a task (insert them with :func:`insert_instances`)."""
    now = now or utcnow()
    finished = state in FINISHED_STATES
    common = {
        "dag_id": dag_id,
        "run_id": run_id,
        "task_id": task.task_id,
        "state": state.value if state is not None else None,
        "try_number": 0,
        "max_tries": task.retries,
        "pool": task.pool,
        "pool_slots": task.pool_slots,
        "queue": task.queue,
        "priority_weight": task.priority_weight,
        "operator": task.operator,
        "start_date": now if finished else None,
        "end_date": now if finished else None,
        "updated_at": now,
    }
    return [{**common, "map_index": index} for index in indexes]


def insert_instances(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert many instances in one executemany."""
    if rows:
        session.execute(insert(cast(Table, TI.__table__)), list(rows))
    return len(rows)


def _update_in_ranges(
    session: Session, where: list[Any], values: dict[str, Any], ranges: Sequence[tuple[int, int]] | None
) -> int:
    """One UPDATE of the rows matching ``where`` (and, given ``ranges``, a map index in one of them) per 200
    ranges; how many rows changed."""
    changed = 0
    for part in [None] if ranges is None else chunked(list(ranges), RANGES_PER_STATEMENT):
        statement = update(TI).where(*where, ranges_filter(part)).values(**values)
        result = session.execute(statement.execution_options(**_NO_UPDATE_SYNC))
        changed += int(result.rowcount)  # type: ignore[attr-defined]
    return changed


def set_states(
    session: Session,
    dag_id: str,
    run_id: str,
    task_ids: Collection[str],
    new_state: TaskInstanceState | None,
    *,
    from_states: Iterable[TaskInstanceState | None],
    ranges: Sequence[tuple[int, int]] | None = None,
    now: datetime | None = None,
) -> int:
    """Move every instance of these tasks that is in one of ``from_states`` (and, given ``ranges``, has its
    map index in one of them) to ``new_state``, when that move is legal. One statement per 200 ranges."""
    if not task_ids:
        return 0
    now = now or utcnow()
    values = {"state": new_state.value if new_state is not None else None, **_stamps(new_state, now)}
    where = [TI.dag_id == dag_id, TI.run_id == run_id, _where_state(new_state, from_states)]
    where.append(TI.task_id == next(iter(task_ids)) if len(task_ids) == 1 else TI.task_id.in_(sorted(task_ids)))
    return _update_in_ranges(session, where, values, ranges)


def delete_placeholders(session: Session, dag_id: str, run_id: str, task_ids: Collection[str]) -> int:
    """Delete the map index -1 instances of mapped tasks (never started: no status, removed or skipped by an
    earlier zero-length expansion) before inserting the expanded ones. Only for mapped tasks."""
    if not task_ids:
        return 0
    result = session.execute(
        delete(TI)
        .where(
            TI.dag_id == dag_id,
            TI.run_id == run_id,
            TI.task_id.in_(sorted(task_ids)),
            TI.map_index == -1,
            state_in(TI.state, {None, S.REMOVED, S.SKIPPED}),
        )
        .execution_options(**_NO_UPDATE_SYNC)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def schedule_due_retries(session: Session, runs: Collection[tuple[str, str]], now: datetime) -> int:
    """up_for_retry instances whose next_retry_at has passed -> scheduled (one statement)."""
    result = session.execute(
        update(TI)
        .where(
            runs_filter(runs),
            TI.state == S.UP_FOR_RETRY.value,
            (TI.next_retry_at.is_(None)) | (TI.next_retry_at <= now),
        )
        .values(state=S.SCHEDULED.value, next_retry_at=None, **_stamps(S.SCHEDULED, now))
        .execution_options(**_NO_UPDATE_SYNC)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


class QueuedInstance(NamedTuple):
    key: TaskInstanceKey
    try_number: int
    """Tries started so far; the workload runs ``try_number + 1``."""
    pool: str
    queue: str
    priority_weight: int


def queue_instances(
    session: Session, keys: Sequence[TaskInstanceKey], *, now: datetime, queued_by: str | None = None
) -> list[QueuedInstance]:
    """scheduled -> queued for these instances; returns those actually moved (others changed meanwhile).

    One statement per task of a run (map indexes as ranges), so the statement count follows the number of
    tasks, never the number of mapped instances.
    """
    by_task: dict[tuple[str, str, str], list[int]] = {}
    for key in keys:
        by_task.setdefault((key.dag_id, key.run_id, key.task_id), []).append(key.map_index)
    moved: list[QueuedInstance] = []
    for (dag_id, run_id, task_id), indexes in by_task.items():
        for part in chunked(to_ranges(indexes), RANGES_PER_STATEMENT):
            statement = (
                update(TI)
                .where(
                    TI.dag_id == dag_id,
                    TI.run_id == run_id,
                    TI.task_id == task_id,
                    ranges_filter(part),
                    _where_state(S.QUEUED, {S.SCHEDULED}),
                )
                .values(state=S.QUEUED.value, queued_by=queued_by, **_stamps(S.QUEUED, now))
                .returning(TI.map_index, TI.try_number, TI.pool, TI.queue, TI.priority_weight)
                .execution_options(**_NO_UPDATE_SYNC)
            )
            for row in session.execute(statement):
                key = TaskInstanceKey(dag_id, run_id, task_id, row.map_index)
                moved.append(QueuedInstance(key, row.try_number, row.pool, row.queue, row.priority_weight))
    return moved


def fail_lost(
    session: Session,
    key: TaskInstanceKey,
    *,
    expected: TaskInstanceState,
    state: TaskInstanceState,
    next_retry_at: datetime | None,
    error: str | None,
) -> bool:
    """A queued/running instance whose process died: -> up_for_retry or failed, counting the lost try.

    A queued instance never started, yet the try is spent (so that a workload that kills its process
    cannot loop forever). False when the instance left ``expected`` meanwhile.
    """
    row = session.execute(
        select(TI.try_number, TI.start_date, TI.hostname).where(key_filter(key), TI.state == expected.value)
    ).one_or_none()
    if row is None or not is_legal_transition(expected, state):
        return False
    now = utcnow()
    try_number = row.try_number if expected is S.RUNNING else row.try_number + 1
    duration = (now - row.start_date).total_seconds() if expected is S.RUNNING and row.start_date else None
    result = session.execute(
        update(TI)
        .where(key_filter(key), TI.state == expected.value, TI.try_number == row.try_number)
        .values(
            state=state.value,
            try_number=try_number,
            next_retry_at=next_retry_at,
            end_date=now,
            duration=duration,
            updated_at=now,
        )
        .execution_options(**_NO_UPDATE_SYNC)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    start = row.start_date if expected is S.RUNNING else None
    _record_history(session, key, try_number, state, start, now, duration, row.hostname, error)
    return True


def mark_by_hand(
    session: Session,
    dag_id: str,
    run_id: str,
    task_ids: Collection[str] | None,
    new_state: TaskInstanceState,
    *,
    ranges: Sequence[tuple[int, int]] | None = None,
    now: datetime | None = None,
) -> int:
    """A person marks instances ``new_state`` (success, failed, skipped): every instance of these tasks (None:
    of every task), within ``ranges`` of map indexes if given, whose state allows it
    (``dagmap.states.marking_sources``: never one a worker owns). One statement per 200 ranges."""
    sources = marking_sources(new_state)
    if (task_ids is not None and not task_ids) or not sources:
        return 0
    now = now or utcnow()
    values = {"state": new_state.value, **_stamps(new_state, now)}
    where = [TI.dag_id == dag_id, TI.run_id == run_id, state_in(TI.state, sources)]
    if task_ids is not None:
        where.append(TI.task_id.in_(sorted(task_ids)))
    return _update_in_ranges(session, where, values, ranges)


def finish_unfinished(
    session: Session,
    dag_id: str,
    run_id: str,
    state: TaskInstanceState,
    *,
    except_task_ids: Collection[str] = (),
) -> int:
    """Every unfinished instance of a run (but those of ``except_task_ids``) -> ``state`` where legal (a run
    that timed out skips the rest; a run marked failed fails them)."""
    now = utcnow()
    where = [TI.dag_id == dag_id, TI.run_id == run_id, _where_state(state, UNFINISHED_STATES)]
    if except_task_ids:
        where.append(TI.task_id.not_in(sorted(except_task_ids)))
    result = session.execute(
        update(TI).where(*where).values(state=state.value, **_stamps(state, now)).execution_options(**_NO_UPDATE_SYNC)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def count_unfinished(session: Session, dag_id: str, run_id: str, task_ids: Collection[str]) -> int:
    """How many instances of these tasks in the run have not finished."""
    if not task_ids:
        return 0
    return int(
        session.scalar(
            select(func.count()).where(
                TI.dag_id == dag_id,
                TI.run_id == run_id,
                TI.task_id.in_(sorted(task_ids)),
                state_in(TI.state, UNFINISHED_STATES),
            )
        )
        or 0
    )


def remove_tasks_not_in(session: Session, dag_id: str, run_id: str, task_ids: Collection[str]) -> int:
    """Instances of tasks that are no longer in the DAG -> removed (unless running)."""
    now = utcnow()
    movable = [None, *(s for s in S if s is not S.RUNNING)]
    result = session.execute(
        update(TI)
        .where(
            TI.dag_id == dag_id,
            TI.run_id == run_id,
            TI.task_id.not_in(sorted(task_ids)),
            _where_state(S.REMOVED, movable),
        )
        .values(state=S.REMOVED.value, updated_at=now)
        .execution_options(**_NO_UPDATE_SYNC)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
