"""DAG callback requests: recorded by the scheduler when a run ends, claimed and finished by DAG processors.

A request is claimed by one processor only (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and a guarded
``pending -> running`` UPDATE everywhere) and finished only from ``running``: each runs at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dagmap.store.orm import DagCallbackRequestRow as Request
from dagmap.store.queries._sql import utcnow

PENDING = "pending"
RUNNING = "running"
SUCCESS = "success"
FAILED = "failed"


@dataclass(frozen=True)
class DagCallbackRequest:
    """One claimed request, as the DAG processor hands it to a callback child."""

    id: int
    dag_id: str
    run_id: str
    fileloc: str
    is_failure: bool
    reason: str | None
    detail: str | None


def add(
    session: Session,
    *,
    dag_id: str,
    run_id: str,
    fileloc: str,
    is_failure: bool,
    reason: str | None,
    detail: str | None = None,
    now: datetime | None = None,
) -> None:
    """Record a pending request (in the caller's transaction, the one that ends the run)."""
    session.add(
        Request(
            dag_id=dag_id,
            run_id=run_id,
            fileloc=fileloc,
            is_failure=is_failure,
            reason=reason,
            detail=detail,
            state=PENDING,
            created_at=now or utcnow(),
        )
    )


def claim(
    session: Session,
    *,
    limit: int,
    claimed_by: str,
    now: datetime | None = None,
    run: tuple[str, str] | None = None,
) -> list[DagCallbackRequest]:
    """Move up to ``limit`` pending requests (oldest first; only ``run``'s when given) to ``running``."""
    statement = select(Request).where(Request.state == PENDING)
    if run is not None:
        statement = statement.where(Request.dag_id == run[0], Request.run_id == run[1])
    rows = list(session.scalars(statement.order_by(Request.id).limit(limit).with_for_update(skip_locked=True)))
    claimed = []
    now = now or utcnow()
    for row in rows:
        moved = session.execute(
            update(Request)
            .where(Request.id == row.id, Request.state == PENDING)
            .values(state=RUNNING, claimed_at=now, claimed_by=claimed_by[:500])
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(
                DagCallbackRequest(row.id, row.dag_id, row.run_id, row.fileloc, row.is_failure, row.reason, row.detail)
            )
    return claimed


def finish(session: Session, request_id: int, *, error: str | None = None, now: datetime | None = None) -> bool:
    """``running`` -> ``success`` (or ``failed`` with ``error``). False when it was not running."""
    moved = session.execute(
        update(Request)
        .where(Request.id == request_id, Request.state == RUNNING)
        .values(state=FAILED if error else SUCCESS, error=error, finished_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]


def fail_abandoned(session: Session, *, claimed_before: datetime, now: datetime | None = None) -> int:
    """Requests claimed before ``claimed_before`` and still running (their processor died) become failed.

    They are never run again: a callback may have had its effect before the processor died."""
    moved = session.execute(
        update(Request)
        .where(Request.state == RUNNING, Request.claimed_at < claimed_before)
        .values(
            state=FAILED,
            error="the DAG processor that claimed this callback stopped before it finished",
            finished_at=now or utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return int(moved.rowcount)  # type: ignore[attr-defined]


def list_requests(session: Session, *, dag_id: str | None = None) -> list[Request]:
    statement = select(Request).order_by(Request.id)
    if dag_id is not None:
        statement = statement.where(Request.dag_id == dag_id)
    return list(session.scalars(statement))
