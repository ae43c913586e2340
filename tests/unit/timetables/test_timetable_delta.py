"""DeltaDataIntervalTimetable: fixed intervals from a timedelta or relativedelta, counted in UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from dagmap.timetables import DagRunInfo, DataInterval, DeltaDataIntervalTimetable, TimeRestriction

Walk = Callable[..., list[DagRunInfo]]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_intervals_are_counted_from_the_start_date(runs: Walk) -> None:
    # Unlike cron, a delta schedule is not aligned to anything: the start date is the first logical date.
    timetable = DeltaDataIntervalTimetable(timedelta(hours=6))
    found = runs(timetable, TimeRestriction(at(2024, 1, 1, 1, 30), None, catchup=True), 3)
    assert [(i.data_interval.start, i.data_interval.end) for i in found] == [
        (at(2024, 1, 1, 1, 30), at(2024, 1, 1, 7, 30)),
        (at(2024, 1, 1, 7, 30), at(2024, 1, 1, 13, 30)),
        (at(2024, 1, 1, 13, 30), at(2024, 1, 1, 19, 30)),
    ]
    assert all(info.run_after == info.data_interval.end for info in found)


def test_relativedelta_months(runs: Walk) -> None:
    timetable = DeltaDataIntervalTimetable(relativedelta(months=1))
    found = runs(timetable, TimeRestriction(at(2024, 1, 15), None, catchup=True), 3)
    assert [info.logical_date for info in found] == [at(2024, 1, 15), at(2024, 2, 15), at(2024, 3, 15)]


def test_end_date(runs: Walk) -> None:
    timetable = DeltaDataIntervalTimetable(timedelta(days=1))
    found = runs(timetable, TimeRestriction(at(2024, 1, 1), at(2024, 1, 3, 12), catchup=True), 10)
    assert [info.logical_date for info in found] == [at(2024, 1, 1), at(2024, 1, 2), at(2024, 1, 3)]


def test_catchup_without_start_date_schedules_nothing() -> None:
    timetable = DeltaDataIntervalTimetable(timedelta(days=1))
    restriction = TimeRestriction(None, None, catchup=True)
    assert timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction) is None


@pytest.mark.parametrize(
    ("delta", "now", "expected"),
    [
        # "now" is floored to a multiple of the interval since the Unix epoch; the interval ending there runs.
        (timedelta(minutes=30), at(2024, 2, 1, 0, 35), DataInterval(at(2024, 2, 1), at(2024, 2, 1, 0, 30))),
        (timedelta(days=1), at(2024, 2, 1, 17), DataInterval(at(2024, 1, 31), at(2024, 2, 1))),
        (timedelta(hours=1), at(2024, 2, 1, 17), DataInterval(at(2024, 2, 1, 16), at(2024, 2, 1, 17))),
    ],
)
def test_no_catchup_runs_the_latest_complete_interval(delta: timedelta, now: datetime, expected: DataInterval) -> None:
    restriction = TimeRestriction(at(2024, 1, 1), None, catchup=False)
    info = DeltaDataIntervalTimetable(delta).next_dagrun_info(
        last_automated_data_interval=None, restriction=restriction, now=now
    )
    assert info == DagRunInfo.interval(expected.start, expected.end)


def test_no_catchup_keeps_a_later_start_date() -> None:
    restriction = TimeRestriction(at(2024, 2, 1, 16, 20), None, catchup=False)
    info = DeltaDataIntervalTimetable(timedelta(hours=1)).next_dagrun_info(
        last_automated_data_interval=None, restriction=restriction, now=at(2024, 2, 1, 17)
    )
    assert info == DagRunInfo.interval(at(2024, 2, 1, 16, 20), at(2024, 2, 1, 17, 20))


def test_no_catchup_after_the_last_run_continues_or_skips() -> None:
    timetable = DeltaDataIntervalTimetable(timedelta(hours=1))
    restriction = TimeRestriction(at(2024, 1, 1), None, catchup=False)
    recent = DataInterval(at(2024, 2, 1, 15), at(2024, 2, 1, 16))
    stale = DataInterval(at(2024, 1, 5), at(2024, 1, 5, 1))
    now = at(2024, 2, 1, 16, 10)
    assert timetable.next_dagrun_info(
        last_automated_data_interval=recent, restriction=restriction, now=now
    ) == DagRunInfo.interval(at(2024, 2, 1, 16), at(2024, 2, 1, 17))
    assert timetable.next_dagrun_info(
        last_automated_data_interval=stale, restriction=restriction, now=now
    ) == DagRunInfo.interval(at(2024, 2, 1, 15), at(2024, 2, 1, 16))


def test_delta_ignores_dst(runs: Walk) -> None:
    # Airflow: a delta schedule keeps the start date's instant and adds real elapsed time; it does not
    # follow the wall clock across DST.
    amsterdam = ZoneInfo("Europe/Amsterdam")
    start = datetime(2024, 3, 30, 2, tzinfo=amsterdam)
    found = runs(DeltaDataIntervalTimetable(timedelta(days=1)), TimeRestriction(start, None, catchup=True), 3)
    assert [info.logical_date for info in found] == [at(2024, 3, 30, 1), at(2024, 3, 31, 1), at(2024, 4, 1, 1)]
    assert [info.logical_date.astimezone(amsterdam).hour for info in found] == [2, 3, 3]


def test_manual_run_ends_when_triggered() -> None:
    timetable = DeltaDataIntervalTimetable(timedelta(hours=6))
    assert timetable.infer_manual_data_interval(at(2024, 1, 1, 13, 7)) == DataInterval(
        at(2024, 1, 1, 7, 7), at(2024, 1, 1, 13, 7)
    )


def test_equality() -> None:
    assert DeltaDataIntervalTimetable(timedelta(days=1)) == DeltaDataIntervalTimetable(timedelta(hours=24))
    assert DeltaDataIntervalTimetable(timedelta(days=1)) != DeltaDataIntervalTimetable(relativedelta(days=1))
    assert (
        len({DeltaDataIntervalTimetable(relativedelta(months=1)), DeltaDataIntervalTimetable(relativedelta(months=1))})
        == 1
    )
