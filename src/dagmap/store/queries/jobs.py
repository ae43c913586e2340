"""Long-running processes (``job`` rows: schedulers, DAG processors) and their heartbeats, plus the reads the
scheduler's health checks need: orphaned, stuck-in-queued and heartbeat-less task instances.

State changes of task instances stay in ``task_instances``; this module only finds them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState
from dagmap.store.orm import JobRow
from dagmap.store.orm import TaskInstanceRow as TI

SCHEDULER_JOB = "SchedulerJob"
DAG_PROCESSOR_JOB = "DagProcessorJob"
RUNNING = "running"
ENDED = "success"
DEAD = "failed"
"""The state a job gets when another process finds it dead (no heartbeat, or its process is gone)."""


class JobInfo(NamedTuple):
    id: int
    hostname: str | None
    pid: int | None
    latest_heartbeat: datetime


def register(session: Session, job_type: str, *, hostname: str, pid: int, now: datetime) -> int:
    """A new running job; returns its id."""
    row = JobRow(job_type=job_type, state=RUNNING, hostname=hostname, pid=pid, start_date=now, latest_heartbeat=now)
    session.add(row)
    session.flush()
    return int(row.id)


def heartbeat(session: Session, job_id: int, now: datetime) -> bool:
    """Record that the job is alive; False when it is no longer running (another process ended it)."""
    result = session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.state == RUNNING)
        .values(latest_heartbeat=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def end(session: Session, job_ids: Collection[int], *, state: str, now: datetime) -> int:
    """Running jobs -> ``state`` (ended or dead); returns how many changed."""
    if not job_ids:
        return 0
    result = session.execute(
        update(JobRow)
        .where(JobRow.id.in_(sorted(job_ids)), JobRow.state == RUNNING)
        .values(state=state, end_date=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def running_jobs(session: Session, job_type: str, *, lock: bool = False) -> list[JobInfo]:
    """Jobs of this type in state running, whatever their heartbeat (``lock``: FOR UPDATE on PostgreSQL)."""
    statement = select(JobRow.id, JobRow.hostname, JobRow.pid, JobRow.latest_heartbeat).where(
        JobRow.job_type == job_type, JobRow.state == RUNNING
    )
    if lock:
        statement = statement.with_for_update()
    return [JobInfo(*row) for row in session.execute(statement.order_by(JobRow.id))]


# --- task instances the health checks act on ----------------------------------------------------------------


def _keys(rows: Sequence[tuple[str, str, str, int]]) -> list[TaskInstanceKey]:
    return [TaskInstanceKey(d, r, t, i) for d, r, t, i in rows]


def orphaned_queued(session: Session, *, limit: int) -> list[TaskInstanceKey]:
    """Instances still queued by a scheduler job that is no longer running (it ended or was found dead)."""
    ended = select(cast(JobRow.id, String)).where(JobRow.job_type == SCHEDULER_JOB, JobRow.state != RUNNING)
    statement = (
        select(TI.dag_id, TI.run_id, TI.task_id, TI.map_index)
        .where(TI.state == TaskInstanceState.QUEUED.value, TI.queued_by.in_(ended.scalar_subquery()))
        .limit(limit)
    )
    return _keys(list(session.execute(statement).tuples()))


def queued_by_job(session: Session, job_id: int, *, limit: int) -> list[TaskInstanceKey]:
    """Instances still queued by this job (its executor dropped them when it was terminated)."""
    statement = (
        select(TI.dag_id, TI.run_id, TI.task_id, TI.map_index)
        .where(TI.state == TaskInstanceState.QUEUED.value, TI.queued_by == str(job_id))
        .limit(limit)
    )
    return _keys(list(session.execute(statement).tuples()))


def queued_before(session: Session, cutoff: datetime, *, limit: int) -> list[TaskInstanceKey]:
    """Instances queued since before ``cutoff`` (stuck: no worker started them)."""
    statement = (
        select(TI.dag_id, TI.run_id, TI.task_id, TI.map_index)
        .where(TI.state == TaskInstanceState.QUEUED.value, TI.queued_at < cutoff)
        .limit(limit)
    )
    return _keys(list(session.execute(statement).tuples()))


def without_heartbeat(session: Session, cutoff: datetime, *, limit: int) -> list[tuple[TaskInstanceKey, int]]:
    """Running instances whose last heartbeat (or start, if they never beat) is older than ``cutoff``, each
    with the try it is running."""
    statement = (
        select(TI.dag_id, TI.run_id, TI.task_id, TI.map_index, TI.try_number)
        .where(
            TI.state == TaskInstanceState.RUNNING.value,
            func.coalesce(TI.last_heartbeat_at, TI.start_date, TI.queued_at) < cutoff,
        )
        .limit(limit)
    )
    rows = session.execute(statement).tuples()
    return [(TaskInstanceKey(d, r, t, i), n) for d, r, t, i, n in rows]


def is_database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached or dropped the connection (worth a retry),
    rather than a bug or a constraint violation."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    cause = error.__cause__ or error.__context__
    return cause is not None and cause is not error and type(cause).__name__ in {"OperationalError", "InterfaceError"}


def dialect_name(session: Session) -> str:
    """``sqlite``, ``postgresql``, ..."""
    return session.get_bind().dialect.name
