"""CronDataIntervalTimetable: Airflow's default for presets and cron strings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from dagmap.timetables import (
    CronDataIntervalTimetable,
    DagRunInfo,
    DataInterval,
    TimeRestriction,
    parse_schedule,
)

Walk = Callable[..., list[DagRunInfo]]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def catchup_from(start: datetime, end: datetime | None = None) -> TimeRestriction:
    return TimeRestriction(earliest=start, latest=end, catchup=True)


def intervals(infos: list[DagRunInfo]) -> list[tuple[datetime, datetime]]:
    return [(info.data_interval.start, info.data_interval.end) for info in infos]


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("@hourly", [(at(2024, 1, 1), at(2024, 1, 1, 1)), (at(2024, 1, 1, 1), at(2024, 1, 1, 2))]),
        ("@daily", [(at(2024, 1, 1), at(2024, 1, 2)), (at(2024, 1, 2), at(2024, 1, 3))]),
        # 2024-01-01 is a Monday: the first weekly interval starts on Sunday the 7th.
        ("@weekly", [(at(2024, 1, 7), at(2024, 1, 14)), (at(2024, 1, 14), at(2024, 1, 21))]),
        ("@monthly", [(at(2024, 1, 1), at(2024, 2, 1)), (at(2024, 2, 1), at(2024, 3, 1))]),
        ("@quarterly", [(at(2024, 1, 1), at(2024, 4, 1)), (at(2024, 4, 1), at(2024, 7, 1))]),
        ("@yearly", [(at(2024, 1, 1), at(2025, 1, 1)), (at(2025, 1, 1), at(2026, 1, 1))]),
        ("@annually", [(at(2024, 1, 1), at(2025, 1, 1)), (at(2025, 1, 1), at(2026, 1, 1))]),
    ],
)
def test_every_preset_with_catchup(runs: Walk, preset: str, expected: list[tuple[datetime, datetime]]) -> None:
    found = runs(parse_schedule(preset), catchup_from(at(2024, 1, 1)), 2)
    assert intervals(found) == expected
    for info in found:
        # The run is due when its interval ends; the logical date is the interval start.
        assert info.run_after == info.data_interval.end
        assert info.logical_date == info.data_interval.start


def test_cron_string_skips_days_it_does_not_match(runs: Walk) -> None:
    # Weekdays at 09:00; 2024-01-05 is a Friday.
    found = runs(CronDataIntervalTimetable("0 9 * * 1-5"), catchup_from(at(2024, 1, 5)), 3)
    assert intervals(found) == [
        (at(2024, 1, 5, 9), at(2024, 1, 8, 9)),
        (at(2024, 1, 8, 9), at(2024, 1, 9, 9)),
        (at(2024, 1, 9, 9), at(2024, 1, 10, 9)),
    ]


def test_every_fifteen_minutes(runs: Walk) -> None:
    found = runs(CronDataIntervalTimetable("*/15 * * * *"), catchup_from(at(2024, 1, 1, 23, 40)), 3)
    assert intervals(found) == [
        (at(2024, 1, 1, 23, 45), at(2024, 1, 2)),
        (at(2024, 1, 2), at(2024, 1, 2, 0, 15)),
        (at(2024, 1, 2, 0, 15), at(2024, 1, 2, 0, 30)),
    ]


class TestStartDateAlignment:
    def test_aligned_start_date_is_the_first_logical_date(self, runs: Walk) -> None:
        first = runs(parse_schedule("@daily"), catchup_from(at(2024, 3, 1)), 1)[0]
        assert first.logical_date == at(2024, 3, 1)
        assert first.run_after == at(2024, 3, 2)

    def test_unaligned_start_date_begins_at_the_next_tick(self, runs: Walk) -> None:
        # Airflow: a start date between ticks means "from the first interval that starts after it".
        first = runs(parse_schedule("@daily"), catchup_from(at(2024, 3, 1, 10, 30)), 1)[0]
        assert first.data_interval == DataInterval(at(2024, 3, 2), at(2024, 3, 3))
        assert first.run_after == at(2024, 3, 3)

    def test_start_date_in_local_time(self, runs: Walk) -> None:
        # 2024-03-01 00:00 in Amsterdam (UTC+1) is 23:00 UTC the day before; @daily there ticks at local
        # midnight, so the start date is on a tick.
        timetable = parse_schedule("@daily", timezone="Europe/Amsterdam")
        first = runs(timetable, catchup_from(at(2024, 2, 29, 23)), 1)[0]
        assert first.data_interval == DataInterval(at(2024, 2, 29, 23), at(2024, 3, 1, 23))


class TestCatchup:
    def test_catchup_creates_every_missed_interval(self, runs: Walk) -> None:
        found = runs(parse_schedule("@daily"), catchup_from(at(2024, 1, 1)), 400, now=at(2024, 1, 10, 12))
        # Catchup ignores "now": runs are computed ahead; the scheduler waits for run_after.
        assert len(found) == 400
        assert found[8].data_interval == DataInterval(at(2024, 1, 9), at(2024, 1, 10))

    def test_catchup_without_start_date_schedules_nothing(self) -> None:
        timetable = parse_schedule("@daily")
        restriction = TimeRestriction(earliest=None, latest=None, catchup=True)
        assert timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction) is None

    @pytest.mark.parametrize(
        ("now", "expected_start"),
        [
            (at(2024, 5, 10, 15, 30), at(2024, 5, 9)),  # between ticks: yesterday is the latest complete day
            (at(2024, 5, 10), at(2024, 5, 9)),  # exactly on a tick: the day that just ended
            (at(2024, 5, 10, 0, 0, 1), at(2024, 5, 9)),
            (at(2024, 5, 9, 23, 59, 59), at(2024, 5, 8)),
        ],
    )
    def test_no_catchup_first_run_is_the_latest_complete_interval(
        self, now: datetime, expected_start: datetime
    ) -> None:
        restriction = TimeRestriction(earliest=at(2024, 1, 1), latest=None, catchup=False)
        info = parse_schedule("@daily").next_dagrun_info(
            last_automated_data_interval=None, restriction=restriction, now=now
        )
        assert info is not None
        assert info.logical_date == expected_start
        assert info.run_after <= now  # due at once

    def test_no_catchup_without_start_date_still_runs_the_latest_interval(self) -> None:
        restriction = TimeRestriction(earliest=None, latest=None, catchup=False)
        info = parse_schedule("@hourly").next_dagrun_info(
            last_automated_data_interval=None, restriction=restriction, now=at(2024, 5, 10, 15, 30)
        )
        assert info == DagRunInfo.interval(at(2024, 5, 10, 14), at(2024, 5, 10, 15))

    def test_no_catchup_skips_intervals_missed_since_the_last_run(self) -> None:
        restriction = TimeRestriction(earliest=at(2024, 1, 1), latest=None, catchup=False)
        info = parse_schedule("@daily").next_dagrun_info(
            last_automated_data_interval=DataInterval(at(2024, 2, 1), at(2024, 2, 2)),
            restriction=restriction,
            now=at(2024, 5, 10, 15),
        )
        assert info is not None and info.logical_date == at(2024, 5, 9)

    def test_no_catchup_continues_contiguously_when_up_to_date(self, runs: Walk) -> None:
        restriction = TimeRestriction(earliest=at(2024, 1, 1), latest=None, catchup=False)
        found = runs(parse_schedule("@daily"), restriction, 3, now=at(2024, 5, 10, 15))
        # The first is the latest complete day; the next ones lie in the future and wait for run_after.
        assert intervals(found) == [
            (at(2024, 5, 9), at(2024, 5, 10)),
            (at(2024, 5, 10), at(2024, 5, 11)),
            (at(2024, 5, 11), at(2024, 5, 12)),
        ]

    def test_no_catchup_with_future_start_date_waits_for_it(self) -> None:
        restriction = TimeRestriction(earliest=at(2024, 6, 1, 8), latest=None, catchup=False)
        info = parse_schedule("@daily").next_dagrun_info(
            last_automated_data_interval=None, restriction=restriction, now=at(2024, 5, 10)
        )
        assert info == DagRunInfo.interval(at(2024, 6, 2), at(2024, 6, 3))

    def test_no_catchup_start_date_inside_the_current_period(self) -> None:
        # As in Airflow: the current (incomplete) period started before the start date, so the first run
        # covers the next full period after it.
        restriction = TimeRestriction(earliest=at(2024, 5, 10, 6), latest=None, catchup=False)
        info = parse_schedule("@daily").next_dagrun_info(
            last_automated_data_interval=None, restriction=restriction, now=at(2024, 5, 10, 9)
        )
        assert info == DagRunInfo.interval(at(2024, 5, 11), at(2024, 5, 12))

    def test_now_defaults_to_the_current_time(self) -> None:
        restriction = TimeRestriction(earliest=None, latest=None, catchup=False)
        before = datetime.now(UTC)
        info = parse_schedule("@hourly").next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
        after = datetime.now(UTC)
        assert info is not None
        # The latest complete hour ends at the start of the current hour.
        hour_starts = {moment.replace(minute=0, second=0, microsecond=0) for moment in (before, after)}
        assert info.run_after in hour_starts


class TestEndDate:
    def test_runs_stop_at_the_end_date(self, runs: Walk) -> None:
        found = runs(parse_schedule("@daily"), catchup_from(at(2024, 1, 1), at(2024, 1, 3)), 10)
        # The run whose logical date is the end date is still created (Airflow's rule).
        assert [info.logical_date for info in found] == [at(2024, 1, 1), at(2024, 1, 2), at(2024, 1, 3)]

    def test_end_date_between_ticks(self, runs: Walk) -> None:
        found = runs(parse_schedule("@daily"), catchup_from(at(2024, 1, 1), at(2024, 1, 2, 12)), 10)
        assert [info.logical_date for info in found] == [at(2024, 1, 1), at(2024, 1, 2)]

    def test_end_date_before_the_first_tick(self) -> None:
        restriction = catchup_from(at(2024, 1, 1, 1), at(2024, 1, 1, 23))
        assert (
            parse_schedule("@daily").next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
            is None
        )

    def test_end_date_in_the_past_without_catchup(self) -> None:
        restriction = TimeRestriction(earliest=at(2024, 1, 1), latest=at(2024, 2, 1), catchup=False)
        info = parse_schedule("@daily").next_dagrun_info(
            last_automated_data_interval=None, restriction=restriction, now=at(2024, 5, 1)
        )
        assert info is None


def test_changed_schedule_realigns_to_the_new_ticks() -> None:
    # The last run came from an hourly schedule; the DAG is now daily.
    info = parse_schedule("@daily").next_dagrun_info(
        last_automated_data_interval=DataInterval(at(2024, 1, 1, 13), at(2024, 1, 1, 14)),
        restriction=catchup_from(at(2024, 1, 1)),
    )
    assert info == DagRunInfo.interval(at(2024, 1, 1), at(2024, 1, 2))


@pytest.mark.parametrize(
    ("run_after", "expected"),
    [
        (at(2024, 1, 25, 1), DataInterval(at(2024, 1, 24), at(2024, 1, 25))),
        (at(2024, 1, 25), DataInterval(at(2024, 1, 24), at(2024, 1, 25))),
        (at(2024, 1, 24, 23, 59), DataInterval(at(2024, 1, 23), at(2024, 1, 24))),
    ],
)
def test_manual_run_covers_the_last_complete_interval(run_after: datetime, expected: DataInterval) -> None:
    assert parse_schedule("@daily").infer_manual_data_interval(run_after) == expected
    assert parse_schedule("@daily").infer_manual_data_interval(run_after=run_after) == expected


def test_results_are_utc_whatever_the_zone(runs: Walk) -> None:
    timetable = parse_schedule("30 7 * * *", timezone="Asia/Kolkata")
    for info in runs(timetable, catchup_from(at(2024, 1, 1)), 3):
        for moment in (info.run_after, info.data_interval.start, info.data_interval.end):
            assert moment.tzinfo is UTC
            assert (moment.hour, moment.minute) == (2, 0)  # 07:30 at UTC+05:30


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        TimeRestriction(earliest=datetime(2024, 1, 1), latest=None, catchup=True)
    with pytest.raises(ValueError, match="naive"):
        parse_schedule("@daily").infer_manual_data_interval(datetime(2024, 1, 1))
