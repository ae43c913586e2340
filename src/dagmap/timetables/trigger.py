"""CronTriggerTimetable: runs at each cron tick, like plain cron, instead of after a whole period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, ClassVar

from dagmap.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable
from dagmap.timetables.cron import CronSchedule
from dagmap.timetables.delta import Delta, encode_delta, validate_delta
from dagmap.timetables.describe import describe_cron
from dagmap.timetables.timezones import parse_timezone, timezone_name, to_utc, utcnow

__all__ = ["CronTriggerTimetable"]


class CronTriggerTimetable(Timetable):
    """A run at every tick of a cron expression, due at the tick itself.

    The data interval ends at the tick and is ``interval`` long (zero by default), so the logical date is
    the tick when ``interval`` is zero.
    """

    type_name: ClassVar[str] = "cron_trigger"

    def __init__(self, expression: str, *, timezone: str | tzinfo = UTC, interval: Delta = timedelta()) -> None:
        self._cron = CronSchedule(expression, parse_timezone(timezone))
        self._interval = validate_delta(interval, allow_zero=True)

    @property
    def expression(self) -> str:
        return self._cron.expression

    @property
    def timezone(self) -> tzinfo:
        return self._cron.timezone

    @property
    def interval(self) -> Delta:
        return self._interval

    @property
    def summary(self) -> str:
        return self._cron.expression

    @property
    def description(self) -> str:
        text = describe_cron(self._cron.fields)
        return text if self.timezone is UTC else f"{text} ({timezone_name(self.timezone)})"

    def _serialize_fields(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "timezone": timezone_name(self.timezone),
            "interval": encode_delta(self._interval),
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timetable):
            return NotImplemented
        return (
            isinstance(other, CronTriggerTimetable)
            and self._cron == other._cron
            and type(self._interval) is type(other._interval)
            and self._interval == other._interval
        )

    def __hash__(self) -> int:
        return hash((type(self), self._cron, repr(self._interval)))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.expression!r}, timezone={timezone_name(self.timezone)!r}, "
            f"interval={self._interval!r})"
        )

    def infer_manual_data_interval(self, run_after: datetime) -> DataInterval:
        run_after = to_utc(run_after)
        return DataInterval(to_utc(run_after - self._interval), run_after)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime | None = None,
    ) -> DagRunInfo | None:
        last = last_automated_data_interval
        if restriction.catchup:
            if last is not None:
                tick = self._cron.next_after(last.end)
            elif restriction.earliest is not None:
                tick = self._cron.align_up(restriction.earliest)
            else:
                return None  # catchup without a start date: nowhere to begin
        else:
            # Missed ticks are skipped except the latest one, which runs at once (Airflow 2's behaviour).
            candidates = [self._cron.align_down(to_utc(now) if now is not None else utcnow())]
            if last is not None:
                candidates.append(self._cron.next_after(last.end))
            if restriction.earliest is not None:
                candidates.append(self._cron.align_up(restriction.earliest))
            tick = max(candidates)
        if restriction.latest is not None and tick > restriction.latest:
            return None
        return DagRunInfo.interval(to_utc(tick - self._interval), tick)
