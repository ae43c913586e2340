"""``dag`` rows as the scheduler service and the DAG processor use them: which DAGs are due for a run, their
``next_dagrun*`` fields, activity and pausing; and the batch of runs a scheduler examines (row locks with
SKIP LOCKED on PostgreSQL, so that several schedulers never work on the same run at once).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from dagmap.states import DagRunState, DagRunType
from dagmap.store.orm import DagRow, DagRunRow, PoolRow
from dagmap.store.queries._sql import insert_missing

ACTIVE_RUNS = (DagRunState.QUEUED.value, DagRunState.RUNNING.value)
AUTOMATED = (DagRunType.SCHEDULED.value, DagRunType.BACKFILL.value)


class NextDagRun(NamedTuple):
    """A DAG's next automated run: its logical date, data interval and when it may be created."""

    logical_date: datetime | None
    interval_start: datetime | None
    interval_end: datetime | None
    create_after: datetime | None


NO_NEXT_RUN = NextDagRun(None, None, None, None)


def due_dag_ids(session: Session, now: datetime, *, limit: int) -> list[str]:
    """Active, unpaused DAGs below ``max_active_runs`` whose next run may be created now. On PostgreSQL their
    rows are locked (``FOR UPDATE SKIP LOCKED``) until the transaction ends, so that two schedulers never
    create the same runs."""
    active = (
        select(func.count())
        .where(DagRunRow.dag_id == DagRow.dag_id, DagRunRow.state.in_(ACTIVE_RUNS))
        .correlate(DagRow)
        .scalar_subquery()
    )
    statement = (
        select(DagRow.dag_id)
        .where(
            DagRow.is_active.is_(True),
            DagRow.is_paused.is_(False),
            DagRow.next_dagrun_create_after.is_not(None),
            DagRow.next_dagrun_create_after <= now,
            active < DagRow.max_active_runs,
        )
        .order_by(DagRow.next_dagrun_create_after)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(statement))


def active_run_counts(session: Session, dag_ids: Collection[str]) -> dict[str, int]:
    """Queued + running runs per DAG (for ``max_active_runs``)."""
    if not dag_ids:
        return {}
    rows = session.execute(
        select(DagRunRow.dag_id, func.count())
        .where(DagRunRow.dag_id.in_(sorted(dag_ids)), DagRunRow.state.in_(ACTIVE_RUNS))
        .group_by(DagRunRow.dag_id)
    )
    return {dag_id: int(number) for dag_id, number in rows}


def last_automated_intervals(session: Session, dag_ids: Collection[str]) -> dict[str, tuple[datetime, datetime]]:
    """The data interval of each DAG's latest scheduled or backfill run (by logical date): one query."""
    if not dag_ids:
        return {}
    latest = (
        select(DagRunRow.dag_id, func.max(DagRunRow.logical_date).label("logical_date"))
        .where(DagRunRow.dag_id.in_(sorted(dag_ids)), DagRunRow.run_type.in_(AUTOMATED))
        .group_by(DagRunRow.dag_id)
        .subquery()
    )
    rows = session.execute(
        select(DagRunRow.dag_id, DagRunRow.data_interval_start, DagRunRow.data_interval_end)
        .join(latest, and_(latest.c.dag_id == DagRunRow.dag_id, latest.c.logical_date == DagRunRow.logical_date))
        .where(DagRunRow.run_type.in_(AUTOMATED))
    )
    found: dict[str, tuple[datetime, datetime]] = {}
    for dag_id, start, end in rows:
        if start is not None and end is not None:
            found[dag_id] = (start, end)
    return found


def set_next_dagruns(session: Session, values: Mapping[str, NextDagRun]) -> None:
    """Store each DAG's next automated run (one UPDATE per DAG; few DAGs change per loop)."""
    for dag_id, next_run in sorted(values.items()):
        session.execute(
            update(DagRow)
            .where(DagRow.dag_id == dag_id)
            .values(
                next_dagrun=next_run.logical_date,
                next_dagrun_data_interval_start=next_run.interval_start,
                next_dagrun_data_interval_end=next_run.interval_end,
                next_dagrun_create_after=next_run.create_after,
            )
            .execution_options(synchronize_session=False)
        )


def paused_flags(session: Session, dag_ids: Collection[str]) -> dict[str, bool]:
    """``{dag_id: is_paused}`` of the DAGs that have a row."""
    if not dag_ids:
        return {}
    rows = session.execute(select(DagRow.dag_id, DagRow.is_paused).where(DagRow.dag_id.in_(sorted(dag_ids))))
    return {dag_id: bool(paused) for dag_id, paused in rows}


def create_missing(session: Session, paused: Mapping[str, bool], filelocs: Mapping[str, str]) -> int:
    """``dag`` rows for DAGs seen for the first time, paused or not as given; returns how many were new."""
    known = set(paused_flags(session, paused))
    new = [
        {"dag_id": dag_id, "fileloc": filelocs[dag_id], "is_paused": paused[dag_id], "is_active": True}
        for dag_id in sorted(paused)
        if dag_id not in known
    ]
    return insert_missing(session, DagRow, "dag_id", new)  # another DAG processor may create them meanwhile


def owners(session: Session, dag_ids: Collection[str]) -> dict[str, str]:
    """``{dag_id: fileloc}`` of the active DAGs among these."""
    if not dag_ids:
        return {}
    rows = session.execute(
        select(DagRow.dag_id, DagRow.fileloc).where(DagRow.dag_id.in_(sorted(dag_ids)), DagRow.is_active.is_(True))
    )
    return {dag_id: fileloc for dag_id, fileloc in rows}


def deactivate(session: Session, *, filelocs: Collection[str], keep: Collection[str] = ()) -> list[str]:
    """Active DAGs defined in these files, other than ``keep``, become inactive (the file is gone, or no longer
    defines them); returns their ids."""
    if not filelocs:
        return []
    where = [DagRow.fileloc.in_(sorted(filelocs)), DagRow.is_active.is_(True)]
    if keep:
        where.append(DagRow.dag_id.not_in(sorted(keep)))
    dag_ids = list(session.scalars(select(DagRow.dag_id).where(*where)))
    if dag_ids:
        session.execute(
            update(DagRow)
            .where(DagRow.dag_id.in_(dag_ids))
            .values(is_active=False, next_dagrun_create_after=None)
            .execution_options(synchronize_session=False)
        )
    return sorted(dag_ids)


def active_dag_ids(session: Session) -> list[str]:
    """Ids of the active DAGs, sorted."""
    return list(session.scalars(select(DagRow.dag_id).where(DagRow.is_active.is_(True)).order_by(DagRow.dag_id)))


def active_filelocs(session: Session) -> set[str]:
    """Files that define at least one active DAG."""
    return set(session.scalars(select(DagRow.fileloc).where(DagRow.is_active.is_(True)).distinct()))


def set_paused(session: Session, dag_id: str, paused: bool) -> bool:
    """Pause or unpause a DAG; False when it has no row."""
    result = session.execute(
        update(DagRow)
        .where(DagRow.dag_id == dag_id)
        .values(is_paused=paused)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- what a scheduler loop examines -------------------------------------------------------------------------


def runs_to_examine(session: Session, now: datetime, *, limit: int) -> list[DagRunRow]:
    """A batch of queued and running runs of unpaused DAGs, least recently examined first, marked examined now.

    On PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED`` until the transaction ends: a run another
    scheduler is working on is left out instead of waited for.
    """
    statement = (
        select(DagRunRow)
        .outerjoin(DagRow, DagRow.dag_id == DagRunRow.dag_id)
        .where(DagRunRow.state.in_(ACTIVE_RUNS), or_(DagRow.is_paused.is_(None), DagRow.is_paused.is_(False)))
        .order_by(DagRunRow.last_scheduling_decision.asc().nulls_first(), DagRunRow.run_after, DagRunRow.id)
        .limit(limit)
        .with_for_update(of=DagRunRow, skip_locked=True)
    )
    runs = list(session.execute(statement).scalars())
    if runs:
        session.execute(
            update(DagRunRow)
            .where(DagRunRow.id.in_([run.id for run in runs]))
            .values(last_scheduling_decision=now)
            .execution_options(synchronize_session=False)
        )
    return runs


def lock_pools(session: Session) -> None:
    """Lock every ``slot_pool`` row until the transaction ends (PostgreSQL; a no-op on SQLite), so that two
    schedulers queueing at once cannot both spend a pool's last slot."""
    session.execute(select(PoolRow.id).order_by(PoolRow.id).with_for_update()).all()
