"""``parse_schedule``: turn a DAG's ``schedule`` argument into a :class:`Timetable`."""

from __future__ import annotations

from datetime import UTC, timedelta, tzinfo

from dateutil.relativedelta import relativedelta

from dagmap.errors import ScheduleError
from dagmap.timetables.base import Timetable
from dagmap.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from dagmap.timetables.timezones import parse_timezone
from dagmap.timetables.trivial import ContinuousTimetable, NullTimetable, OnceTimetable

__all__ = ["ScheduleArg", "parse_schedule"]

ScheduleArg = str | timedelta | relativedelta | Timetable | None
"""What ``DAG(schedule=...)`` accepts."""


def parse_schedule(schedule: ScheduleArg, *, timezone: str | tzinfo = UTC) -> Timetable:
    """The timetable for a ``schedule`` value, with cron read in ``timezone``.

    ``None`` never schedules, ``"@once"`` runs once, ``"@continuous"`` runs back to back; presets and
    five-field cron strings give a :class:`CronDataIntervalTimetable`, ``timedelta``/``relativedelta`` a
    :class:`DeltaDataIntervalTimetable`; a :class:`Timetable` is used as it is. Anything else raises
    :class:`~dagmap.errors.ScheduleError`.
    """
    if schedule is None:
        return NullTimetable()
    if isinstance(schedule, Timetable):
        return schedule
    if isinstance(schedule, (timedelta, relativedelta)):
        return DeltaDataIntervalTimetable(schedule)
    if isinstance(schedule, str):
        text = schedule.strip()
        if not text:
            raise ScheduleError(
                f"invalid schedule {schedule!r}: empty; use None for a DAG that is only triggered by hand",
                argument="schedule",
            )
        if text.lower() == "@once":
            return OnceTimetable()
        if text.lower() == "@continuous":
            return ContinuousTimetable()
        return CronDataIntervalTimetable(text, parse_timezone(timezone))
    raise ScheduleError(
        f"invalid schedule {schedule!r}: expected None, a preset such as '@daily', a cron string, "
        f"a timedelta or relativedelta, or a Timetable, not {type(schedule).__name__}",
        argument="schedule",
    )
