"""Cron expressions evaluated on the wall clock of a time zone, stepping over DST changes like Airflow.

:class:`CronSchedule` is the engine behind the two cron timetables; it returns aware UTC instants only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from croniter import CroniterBadDateError, CroniterError, croniter

from dagmap.errors import ScheduleError
from dagmap.timetables.timezones import (
    from_wall_clock,
    parse_timezone,
    to_utc,
    to_wall_clock,
    wall_clock_instants,
)

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

_MARGIN = timedelta(hours=3)
"""More than any DST shift: ticks this far from a change resolve in wall-clock order."""
_SEARCH_LIMIT = 2_000


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
    """The ticks of a cron expression read on the wall clock of ``timezone``, as aware UTC instants.

    Schedules with ``*`` in the hour field tick at every instant whose local time matches: twice in an
    hour the clock repeats (fall back), never in an hour it skips (spring forward), so each real hour
    gets its runs. Other schedules tick once per matching wall time: a repeated time at its second
    occurrence, a skipped time moved forward by the gap (02:30 -> 03:30). Both are Airflow's behaviour.
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
        return self._step(to_utc(current), forward=True)

    def previous_before(self, current: datetime) -> datetime:
        """The last tick strictly before ``current``."""
        return self._step(to_utc(current), forward=False)

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

    def _instants(self, tick: datetime) -> list[datetime]:
        if self.every_hour:
            return wall_clock_instants(tick, self.timezone)
        return [from_wall_clock(tick, self.timezone)]

    def _step(self, current: datetime, *, forward: bool) -> datetime:
        wall = to_wall_clock(current, self.timezone)
        near_change = self._near_dst_change(current)
        if near_change:
            # Ticks near a DST change can resolve out of wall-clock order (a skipped time moves past later
            # ones; a repeated time may lie on either side of ``current``): start the search further out.
            wall = wall - _MARGIN if forward else wall + _MARGIN
        ticks = croniter(self.fields, start_time=wall)
        best: datetime | None = None
        best_wall = wall
        for _ in range(_SEARCH_LIMIT):
            tick = ticks.get_next(datetime) if forward else ticks.get_prev(datetime)
            if best is not None and abs(tick - best_wall) > _MARGIN:
                return best
            for instant in self._instants(tick):
                if (
                    (instant > current and (best is None or instant < best))
                    if forward
                    else (instant < current and (best is None or instant > best))
                ):
                    best, best_wall = instant, tick
            if best is not None and not near_change and not self._near_dst_change(best):
                return best  # far from any change, wall-clock order is time order: the first one wins
        if best is not None:
            return best
        raise ScheduleError(f"cron expression {self.expression!r} has no tick near {current.isoformat()}")

    def _near_dst_change(self, current: datetime) -> bool:
        before = (current - _MARGIN).astimezone(self.timezone).utcoffset()
        after = (current + _MARGIN).astimezone(self.timezone).utcoffset()
        return before != after
