"""Data-interval timetables (Airflow's defaults): a run covers one whole period and is due when it ends.

The logical date is the start of the interval, so the ``@daily`` run for 2024-01-01 starts on 2024-01-02.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, ClassVar

from dagmap.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable
from dagmap.timetables.cron import CronSchedule
from dagmap.timetables.delta import Delta, delta_microseconds, encode_delta, validate_delta
from dagmap.timetables.describe import describe_cron
from dagmap.timetables.timezones import parse_timezone, timezone_name, to_utc, utcnow

__all__ = ["CronDataIntervalTimetable", "DeltaDataIntervalTimetable"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _DataIntervalTimetable(Timetable):
    """Contiguous intervals: each starts where the previous one ended, aligned to the schedule."""

    @abstractmethod
    def _next(self, current: datetime) -> datetime: ...

    @abstractmethod
    def _align_up(self, current: datetime) -> datetime: ...

    @abstractmethod
    def _align_down(self, current: datetime) -> datetime: ...

    @abstractmethod
    def _latest_start(self, now: datetime) -> datetime:
        """The start of the latest interval that has completely passed at ``now`` (``catchup=False``)."""

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: datetime | None = None,
    ) -> DagRunInfo | None:
        earliest = restriction.earliest
        if earliest is not None:
            # A start date off the schedule means "from the first period that starts after it".
            earliest = self._align_up(earliest)
        if not restriction.catchup:
            latest_start = self._latest_start(to_utc(now) if now is not None else utcnow())
            earliest = latest_start if earliest is None else max(earliest, latest_start)
        if last_automated_data_interval is None:
            if earliest is None:
                return None  # catchup without a start date: nowhere to begin
            start = earliest
        else:
            # Aligning copes with a schedule that changed since the last run.
            start = self._align_down(last_automated_data_interval.end)
            if earliest is not None:
                start = max(start, earliest)
        if restriction.latest is not None and start > restriction.latest:
            return None
        return DagRunInfo.interval(start, self._next(start))


class CronDataIntervalTimetable(_DataIntervalTimetable):
    """A cron expression or preset whose ticks bound the data intervals (Airflow's ``schedule="@daily"``)."""

    type_name: ClassVar[str] = "cron_data_interval"

    def __init__(self, expression: str, timezone: str | tzinfo = UTC) -> None:
        self._cron = CronSchedule(expression, parse_timezone(timezone))

    @property
    def expression(self) -> str:
        return self._cron.expression

    @property
    def timezone(self) -> tzinfo:
        return self._cron.timezone

    @property
    def summary(self) -> str:
        return self._cron.expression

    @property
    def description(self) -> str:
        text = describe_cron(self._cron.fields)
        return text if self.timezone is UTC else f"{text} ({timezone_name(self.timezone)})"

    def _serialize_fields(self) -> dict[str, Any]:
        return {"expression": self.expression, "timezone": timezone_name(self.timezone)}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timetable):
            return NotImplemented
        return isinstance(other, CronDataIntervalTimetable) and self._cron == other._cron

    def __hash__(self) -> int:
        return hash((type(self), self._cron))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.expression!r}, timezone={timezone_name(self.timezone)!r})"

    def _next(self, current: datetime) -> datetime:
        return self._cron.next_after(current)

    def _align_up(self, current: datetime) -> datetime:
        return self._cron.align_up(current)

    def _align_down(self, current: datetime) -> datetime:
        return self._cron.align_down(current)

    def _latest_start(self, now: datetime) -> datetime:
        return self._cron.previous_before(self._cron.align_down(now))

    def infer_manual_data_interval(self, run_after: datetime) -> DataInterval:
        # The last complete period: a manual run at 01:00 on the 25th of a @daily DAG covers the 24th.
        end = self._cron.align_down(run_after)
        return DataInterval(self._cron.previous_before(end), end)


class DeltaDataIntervalTimetable(_DataIntervalTimetable):
    """A fixed interval (``timedelta`` / ``relativedelta``) counted in UTC from the start date."""

    type_name: ClassVar[str] = "delta_data_interval"

    def __init__(self, delta: Delta) -> None:
        self._delta = validate_delta(delta)

    @property
    def delta(self) -> Delta:
        return self._delta

    @property
    def summary(self) -> str:
        return str(self._delta) if isinstance(self._delta, timedelta) else repr(self._delta)

    @property
    def description(self) -> str:
        return f"Every {self.summary}"

    def _serialize_fields(self) -> dict[str, Any]:
        return {"delta": encode_delta(self._delta)}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timetable):
            return NotImplemented
        return isinstance(other, DeltaDataIntervalTimetable) and _same_delta(self._delta, other._delta)

    def __hash__(self) -> int:
        return hash((type(self), repr(self._delta)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._delta!r})"

    def _next(self, current: datetime) -> datetime:
        return to_utc(current + self._delta)

    def _align_up(self, current: datetime) -> datetime:
        return current

    def _align_down(self, current: datetime) -> datetime:
        return current

    def _latest_start(self, now: datetime) -> datetime:
        # Like Airflow: floor "now" to a multiple of the interval counted from the Unix epoch, and take
        # the interval that ends there.
        length = delta_microseconds(self._delta)
        elapsed = now - _EPOCH
        elapsed_us = (elapsed.days * 86_400 + elapsed.seconds) * 1_000_000 + elapsed.microseconds
        floored = _EPOCH + timedelta(microseconds=elapsed_us - elapsed_us % length)
        return to_utc(floored - self._delta)

    def infer_manual_data_interval(self, run_after: datetime) -> DataInterval:
        run_after = to_utc(run_after)
        return DataInterval(to_utc(run_after - self._delta), run_after)


def _same_delta(left: Delta, right: Delta) -> bool:
    return type(left) is type(right) and left == right
