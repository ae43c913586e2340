"""Timetables without a period: ``None`` (manual only), ``@once`` and ``@continuous``."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from dagmap.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable
from dagmap.timetables.timezones import to_utc, utcnow

__all__ = ["ContinuousTimetable", "NullTimetable", "OnceTimetable"]


class _TrivialTimetable(Timetable):
    periodic: ClassVar[bool] = False

    def infer_manual_data_interval(self, run_after: datetime) -> DataInterval:
        return DataInterval.exact(run_after)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timetable):
            return NotImplemented
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NullTimetable(_TrivialTimetable):
    """``schedule=None``: the scheduler never creates runs; they are triggered by hand or the API."""

    type_name: ClassVar[str] = "null"
    can_be_scheduled: ClassVar[bool] = False

    @property
    def summary(self) -> str:
        return "None"

    @property
    def description(self) -> str:
        return "Never scheduled; triggered by hand only"

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime | None = None,
    ) -> DagRunInfo | None:
        return None


class OnceTimetable(_TrivialTimetable):
    """``@once``: one automated run, at the start date, whatever ``catchup`` says."""

    type_name: ClassVar[str] = "once"

    @property
    def summary(self) -> str:
        return "@once"

    @property
    def description(self) -> str:
        return "Once, at the start date"

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime | None = None,
    ) -> DagRunInfo | None:
        if last_automated_data_interval is not None or restriction.earliest is None:
            return None
        if restriction.latest is not None and restriction.earliest > restriction.latest:
            return None
        return DagRunInfo.exact(restriction.earliest)


class ContinuousTimetable(_TrivialTimetable):
    """``@continuous``: a new run as soon as the previous one is over, one run at a time.

    Each run's data interval reaches from the end of the previous one to the moment it was created.
    """

    type_name: ClassVar[str] = "continuous"
    active_runs_limit: ClassVar[int | None] = 1

    @property
    def summary(self) -> str:
        return "@continuous"

    @property
    def description(self) -> str:
        return "Continuously: the next run starts when the previous one ends"

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime | None = None,
    ) -> DagRunInfo | None:
        if restriction.earliest is None:
            return None
        current = to_utc(now) if now is not None else utcnow()
        last = last_automated_data_interval
        if last is None:
            start, end = restriction.earliest, max(restriction.earliest, current)
        elif last.end > current:
            # The last run lies in the future (the start date moved forward): repeat its length from
            # the start date rather than create an interval that ends before it starts.
            start = restriction.earliest
            end = start + (last.end - last.start)
        else:
            start, end = last.end, current
        if restriction.latest is not None and end > restriction.latest:
            return None
        return DagRunInfo.interval(start, end)
