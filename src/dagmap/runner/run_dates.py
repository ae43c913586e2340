"""Airflow's deprecated schedule neighbours of a run (``prev_execution_date``, ``next_execution_date``).

Pure functions of the DAG's timetable and the run's dates; cached, since every instance of a run asks.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from dagmap.states import DagRunType
from dagmap.timetables import Timetable
from dagmap.timetables.base import DataInterval, TimeRestriction
from dagmap.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable

_UNRESTRICTED = TimeRestriction(earliest=None, latest=None, catchup=True)


@lru_cache(maxsize=256)
def schedule_neighbours(
    timetable: Timetable,
    run_type: str,
    logical_date: datetime | None,
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
) -> tuple[datetime | None, datetime | None]:
    """``(prev_execution_date, next_execution_date)`` as Airflow 2 defines them.

    A manual run gets its own logical date for both. Otherwise the previous one is the logical date of
    the schedule's period before (data-interval timetables only: cron and timedelta schedules), and the
    next one the logical date of the run the timetable would create after this run's data interval
    (None for ``schedule=None`` and ``@once``).
    """
    if logical_date is None:
        return None, None
    if run_type == DagRunType.MANUAL.value:
        return logical_date, logical_date
    previous = None
    if isinstance(timetable, CronDataIntervalTimetable | DeltaDataIntervalTimetable):
        previous = timetable.infer_manual_data_interval(logical_date).start
    following = None
    if data_interval_start is not None and data_interval_end is not None:
        info = timetable.next_dagrun_info(
            last_automated_data_interval=DataInterval(data_interval_start, data_interval_end),
            restriction=_UNRESTRICTED,
        )
        following = None if info is None else info.logical_date
    return previous, following
