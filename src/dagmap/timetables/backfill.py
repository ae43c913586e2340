"""Runs a backfill creates: every scheduled interval whose logical date lies in ``[start, end]``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from dagmap.timetables.base import DagRunInfo, TimeRestriction, Timetable
from dagmap.timetables.timezones import to_utc
from dagmap.timetables.trivial import ContinuousTimetable

__all__ = ["iter_backfill_infos"]


def iter_backfill_infos(timetable: Timetable, start: datetime, end: datetime) -> Iterator[DagRunInfo]:
    """The runs of ``timetable`` with ``start <= logical_date <= end``, oldest first.

    ``start`` is aligned up to the schedule like a start date. ``schedule=None`` and ``@continuous``
    have nothing to backfill; ``@once`` gives one run at ``start``. The caller intersects the range with
    the DAG's own start and end dates.
    """
    start, end = to_utc(start), to_utc(end)
    if not timetable.can_be_scheduled or isinstance(timetable, ContinuousTimetable) or start > end:
        return
    # No ``latest`` here: a trigger timetable with an interval has logical dates before its ticks, so the
    # loop stops on the logical date instead.
    restriction = TimeRestriction(earliest=start, latest=None, catchup=True)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    previous: datetime | None = None
    while info is not None and info.logical_date <= end:
        if previous is not None and info.logical_date <= previous:
            return  # a timetable that stopped moving forward: never loop forever
        if info.logical_date >= start:
            yield info
        previous = info.logical_date
        info = timetable.next_dagrun_info(last_automated_data_interval=info.data_interval, restriction=restriction)
