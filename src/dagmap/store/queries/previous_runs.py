"""The latest successful earlier run of a DAG (Airflow's ``prev_*_success`` context keys): one query."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from dagmap.states import DagRunState
from dagmap.store.orm import DagRunRow


class PreviousRunDates(NamedTuple):
    logical_date: datetime | None
    data_interval_start: datetime | None
    data_interval_end: datetime | None
    start_date: datetime | None
    end_date: datetime | None


def previous_successful_run(session: Session, dag_id: str, run_id: str) -> PreviousRunDates | None:
    """The dates of the successful run of ``dag_id`` with the latest logical date before ``run_id``'s.

    None when there is none, or when ``run_id`` has no logical date (nothing is "earlier" then).
    """
    current = aliased(DagRunRow)
    this_logical_date = (
        select(current.logical_date).where(current.dag_id == dag_id, current.run_id == run_id).scalar_subquery()
    )
    row = session.execute(
        select(
            DagRunRow.logical_date,
            DagRunRow.data_interval_start,
            DagRunRow.data_interval_end,
            DagRunRow.start_date,
            DagRunRow.end_date,
        )
        .where(
            DagRunRow.dag_id == dag_id,
            DagRunRow.state == DagRunState.SUCCESS.value,
            DagRunRow.logical_date < this_logical_date,
        )
        .order_by(DagRunRow.logical_date.desc())
        .limit(1)
    ).first()
    return None if row is None else PreviousRunDates(*row)
