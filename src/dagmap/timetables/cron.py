"""Cron expressions evaluated on the wall clock of a time zone, stepping over DST changes like Airflow.

:class:`CronSchedule` is the engine behind the two cron timetables; it returns aware UTC instants only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from croniter import CroniterBadDateError, CroniterError, croniter

from dagmap.errors import ScheduleError
from dagmap.timetables.timezones import from_wall_clock, parse_timezone, to_utc, to_wall_clock

__all__ = ["CRON_PRESETS", "CronSchedule", "cron_fields"]

CRON_PRESETS: dict[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
"""Preset names and the cron expression each stands for."""

_ONE_DAY = timedelta(days=1)
_SEARCH_LIMIT = 8


def cron_fields(expression: str) -> str:
    """The five-field cron text of ``expression`` (a preset or a cron); :class:`ScheduleError` if invalid."""
    text = " ".join(expression.split())
    fields = CRON_PRESETS.get(text.lower(), text)
    if text.startswith("@") and fields == text:
        presets = ", ".join(sorted({*CRON_PRESETS, "@once", "@continuous"}))
        raise ScheduleError(
            f"invalid schedule {expression!r}: unknown preset; use one of {presets}", argument="schedule"
        )
    if len(fields.split()) != 5:
        raise ScheduleError(
            f"invalid schedule {expression!r}: a cron expression has 5 fields "
            "(minute hour day-of-month month day-of-week)",
            argument="schedule",
        )
    try:
        probe = croniter(fields, start_time=datetime(2000, 1, 1))
        probe.get_next(datetime)
    except CroniterBadDateError as error:
        raise ScheduleError(
            f"invalid schedule {expression!r}: the cron expression never matches a date",
            argument="schedule",
        ) from error
    except (CroniterError, ValueError, KeyError) as error:
        raise ScheduleError(f"invalid schedule {expression!r}: {error}", argument="schedule") from error
    return fields


@dataclass(frozen=True)
class CronSchedule:
    """The ticks of a cron expression read in ``timezone``.

    Fixed-time schedules (``0 2 * * *``) keep their wall-clock time across DST: a missing time (spring
    forward) runs at the first instant after the gap, a repeated time (fall back) runs once, at its second
    occurrence. Schedules that run every hour (``*`` in the hour field) keep real elapsed time between
    ticks instead, so the repeated hour is run and the missing hour is skipped.
    """

    expression: str
    timezone: tzinfo
    fields: str = field(init=False, repr=False, compare=False)
    every_hour: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "timezone", parse_timezone(self.timezone))
        object.__setattr__(self, "fields", cron_fields(self.expression))
        hours = croniter(self.fields).expanded[1]
        object.__setattr__(self, "every_hour", hours == ["*"])

    def next_after(self, current: datetime) -> datetime:
        """The first tick strictly after ``current``."""
        return self._step(current, forward=True)

    def previous_before(self, current: datetime) -> datetime:
        """The last tick strictly before ``current``."""
        return self._step(current, forward=False)

    def align_up(self, current: datetime) -> datetime:
        """``current`` if it is a tick, else the next tick."""
        current = to_utc(current)
        upcoming = self.next_after(current)
        return current if self.previous_before(upcoming) == current else upcoming

    def align_down(self, current: datetime) -> datetime:
        """``current`` if it is a tick, else the previous tick."""
        current = to_utc(current)
        previous = self.previous_before(current)
        return current if self.next_after(previous) == current else previous

    def _step(self, current: datetime, *, forward: bool) -> datetime:
        current = to_utc(current)
        wall = to_wall_clock(current, self.timezone)
        ticks = croniter(self.fields, start_time=wall)
        for _ in range(_SEARCH_LIMIT):
            tick = ticks.get_next(datetime) if forward else ticks.get_prev(datetime)
            step = tick - wall
            if self.every_hour and abs(step) < _ONE_DAY:
                # Same as Airflow (via pendulum): sub-day steps are real elapsed time, longer ones wall-clock.
                candidate = current + step
            else:
                candidate = from_wall_clock(tick, self.timezone)
            if (candidate > current) if forward else (candidate < current):
                return candidate
        raise ScheduleError(f"cron expression {self.expression!r} has no tick near {current.isoformat()}")
