"""Cron in a DAG's time zone across both DST changes, in Europe (Amsterdam) and the US (New York).

2024 changes: Amsterdam springs forward on 31 March 02:00 -> 03:00 and falls back on 27 October
03:00 -> 02:00; New York springs forward on 10 March 02:00 -> 03:00 and falls back on 3 November
02:00 -> 01:00.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dagmap.timetables import (
    CronDataIntervalTimetable,
    CronSchedule,
    CronTriggerTimetable,
    DagRunInfo,
    DataInterval,
    TimeRestriction,
    parse_schedule,
)

Walk = Callable[..., list[DagRunInfo]]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEW_YORK = ZoneInfo("America/New_York")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def logical_dates(runs: Walk, schedule: str, zone: ZoneInfo, start: datetime, count: int) -> list[datetime]:
    timetable = parse_schedule(schedule, timezone=zone)
    return [info.logical_date for info in runs(timetable, TimeRestriction(start, None, catchup=True), count)]


def local(moments: list[datetime], zone: ZoneInfo) -> list[str]:
    return [moment.astimezone(zone).strftime("%m-%d %H:%M %Z") for moment in moments]


class TestDaily:
    def test_amsterdam_spring_forward(self, runs: Walk) -> None:
        found = logical_dates(runs, "0 2 * * *", AMSTERDAM, at(2024, 3, 29), 4)
        # 02:00 does not exist on 31 March: that run is at 03:00 CEST, the first instant after the gap.
        assert found == [at(2024, 3, 29, 1), at(2024, 3, 30, 1), at(2024, 3, 31, 1), at(2024, 4, 1, 0)]
        assert local(found, AMSTERDAM) == ["03-29 02:00 CET", "03-30 02:00 CET", "03-31 03:00 CEST", "04-01 02:00 CEST"]

    def test_amsterdam_fall_back(self, runs: Walk) -> None:
        found = logical_dates(runs, "0 2 * * *", AMSTERDAM, at(2024, 10, 25), 4)
        # 02:00 happens twice on 27 October: the run is once, at the second 02:00 (CET).
        assert found == [at(2024, 10, 25, 0), at(2024, 10, 26, 0), at(2024, 10, 27, 1), at(2024, 10, 28, 1)]
        assert local(found, AMSTERDAM) == ["10-25 02:00 CEST", "10-26 02:00 CEST", "10-27 02:00 CET", "10-28 02:00 CET"]

    def test_new_york_spring_forward(self, runs: Walk) -> None:
        found = logical_dates(runs, "30 2 * * *", NEW_YORK, at(2024, 3, 9), 3)
        assert local(found, NEW_YORK) == ["03-09 02:30 EST", "03-10 03:30 EDT", "03-11 02:30 EDT"]
        assert found == [at(2024, 3, 9, 7, 30), at(2024, 3, 10, 7, 30), at(2024, 3, 11, 6, 30)]

    @pytest.mark.parametrize(
        ("start", "expected_local"),
        [
            (at(2024, 3, 9), ["03-09 02:00 EST", "03-10 03:00 EDT", "03-11 02:00 EDT"]),
            (at(2024, 11, 2), ["11-02 02:00 EDT", "11-03 02:00 EST", "11-04 02:00 EST"]),
        ],
    )
    def test_new_york_two_am_on_both_change_days(self, runs: Walk, start: datetime, expected_local: list[str]) -> None:
        found = logical_dates(runs, "0 2 * * *", NEW_YORK, start, 3)
        assert local(found, NEW_YORK) == expected_local

    def test_new_york_fall_back(self, runs: Walk) -> None:
        found = logical_dates(runs, "30 1 * * *", NEW_YORK, at(2024, 11, 2), 3)
        # 01:30 happens twice on 3 November: the run is at the second one (EST).
        assert local(found, NEW_YORK) == ["11-02 01:30 EDT", "11-03 01:30 EST", "11-04 01:30 EST"]
        assert found == [at(2024, 11, 2, 5, 30), at(2024, 11, 3, 6, 30), at(2024, 11, 4, 6, 30)]

    def test_local_midnight_days_are_23_and_25_hours_long(self, runs: Walk) -> None:
        timetable = parse_schedule("@daily", timezone=AMSTERDAM)
        spring = runs(timetable, TimeRestriction(at(2024, 3, 30, 23), None, catchup=True), 1)[0]
        fall = runs(timetable, TimeRestriction(at(2024, 10, 26, 22), None, catchup=True), 1)[0]
        assert spring.data_interval == DataInterval(at(2024, 3, 30, 23), at(2024, 3, 31, 22))
        assert fall.data_interval == DataInterval(at(2024, 10, 26, 22), at(2024, 10, 27, 23))

    def test_wall_clock_time_is_kept_all_year(self, runs: Walk) -> None:
        found = logical_dates(runs, "0 2 * * *", AMSTERDAM, at(2024, 1, 1), 366)
        hours = {moment.astimezone(AMSTERDAM).hour for moment in found if moment.date() != datetime(2024, 3, 31).date()}
        assert hours == {2}
        assert len(set(found)) == 366


class TestHourly:
    @pytest.mark.parametrize(
        ("zone", "local_midnight", "next_local_midnight", "count", "missing_or_twice"),
        [
            (AMSTERDAM, at(2024, 3, 30, 23), at(2024, 3, 31, 22), 23, "02"),
            (AMSTERDAM, at(2024, 10, 26, 22), at(2024, 10, 27, 23), 25, "02"),
            (NEW_YORK, at(2024, 3, 10, 5), at(2024, 3, 11, 4), 23, "02"),
            (NEW_YORK, at(2024, 11, 3, 4), at(2024, 11, 4, 5), 25, "01"),
        ],
    )
    def test_one_run_per_real_hour(
        self,
        runs: Walk,
        zone: ZoneInfo,
        local_midnight: datetime,
        next_local_midnight: datetime,
        count: int,
        missing_or_twice: str,
    ) -> None:
        timetable = parse_schedule("@hourly", timezone=zone)
        restriction = TimeRestriction(local_midnight, next_local_midnight - timedelta(hours=1), catchup=True)
        found = runs(timetable, restriction, 100)
        assert len(found) == count
        assert found[-1].data_interval.end == next_local_midnight
        assert all(info.data_interval.end - info.data_interval.start == timedelta(hours=1) for info in found)
        labels = [info.logical_date.astimezone(zone).strftime("%H") for info in found]
        # Spring: the skipped hour has no run. Fall: the repeated hour runs twice (once per real hour).
        assert labels.count(missing_or_twice) == (0 if count == 23 else 2)

    def test_half_hourly_on_the_long_day(self, runs: Walk) -> None:
        timetable = parse_schedule("*/30 * * * *", timezone=AMSTERDAM)
        restriction = TimeRestriction(at(2024, 10, 26, 22), at(2024, 10, 27, 22, 30), catchup=True)
        assert len(runs(timetable, restriction, 100)) == 50

    def test_every_two_hours_follows_the_wall_clock(self, runs: Walk) -> None:
        # Not every hour: ticks are wall-clock times, and the repeated 02:00 is taken at its second
        # occurrence (as Airflow does), so that interval lasts three real hours.
        found = logical_dates(runs, "0 */2 * * *", AMSTERDAM, at(2024, 10, 26, 22), 3)
        assert local(found, AMSTERDAM) == ["10-27 00:00 CEST", "10-27 02:00 CET", "10-27 04:00 CET"]
        assert found[1] - found[0] == timedelta(hours=3)


class TestOtherTimetables:
    def test_trigger_timetable_spring_forward(self, runs: Walk) -> None:
        timetable = CronTriggerTimetable("0 2 * * *", timezone=AMSTERDAM)
        found = runs(timetable, TimeRestriction(at(2024, 3, 30), None, catchup=True), 3)
        assert [info.run_after for info in found] == [at(2024, 3, 30, 1), at(2024, 3, 31, 1), at(2024, 4, 1, 0)]

    def test_trigger_timetable_no_catchup_on_the_fall_back_night(self) -> None:
        timetable = CronTriggerTimetable("0 2 * * *", timezone=AMSTERDAM)
        restriction = TimeRestriction(None, None, catchup=False)
        # 00:30 UTC is the first 02:30 (CEST): the 02:00 tick of the day is the second 02:00, still ahead.
        info = timetable.next_dagrun_info(
            last_automated_data_interval=None, restriction=restriction, now=at(2024, 10, 27, 0, 30)
        )
        assert info == DagRunInfo.exact(at(2024, 10, 26, 0))
        after = timetable.next_dagrun_info(
            last_automated_data_interval=info.data_interval, restriction=restriction, now=at(2024, 10, 27, 0, 30)
        )
        assert after == DagRunInfo.exact(at(2024, 10, 27, 1))

    def test_manual_run_on_the_short_day(self) -> None:
        timetable = CronDataIntervalTimetable("0 2 * * *", AMSTERDAM)
        assert timetable.infer_manual_data_interval(at(2024, 4, 1, 0, 30)) == DataInterval(
            at(2024, 3, 31, 1), at(2024, 4, 1, 0)
        )
        # Right on the shifted tick (03:00 CEST on 31 March).
        assert timetable.infer_manual_data_interval(at(2024, 3, 31, 1)) == DataInterval(
            at(2024, 3, 30, 1), at(2024, 3, 31, 1)
        )

    def test_start_date_zone_and_timetable_zone_are_independent(self, runs: Walk) -> None:
        # The start date is an instant; only the timetable's zone decides where ticks fall.
        start = datetime(2024, 6, 1, tzinfo=NEW_YORK)
        found = runs(parse_schedule("@daily", timezone=AMSTERDAM), TimeRestriction(start, None, catchup=True), 1)
        assert found[0].logical_date == at(2024, 6, 1, 22)  # next Amsterdam midnight after 04:00 UTC


class TestEdgeCases:
    def test_every_skipped_time_moves_forward_by_the_gap(self, runs: Walk) -> None:
        # Each 02:xx of the spring-forward night runs at 03:xx (Airflow would keep only the first).
        found = logical_dates(runs, "*/15 2 * * *", NEW_YORK, at(2024, 3, 9, 12), 5)
        assert local(found, NEW_YORK) == [
            "03-10 03:00 EDT",
            "03-10 03:15 EDT",
            "03-10 03:30 EDT",
            "03-10 03:45 EDT",
            "03-11 02:00 EDT",
        ]

    def test_from_inside_the_first_occurrence_of_a_repeated_hour(self) -> None:
        schedule = CronSchedule("*/15 2 * * *", AMSTERDAM)
        first_0230 = at(2024, 10, 27, 0, 30)  # 02:30 CEST; ticks of that night are the CET ones
        assert schedule.next_after(first_0230) == at(2024, 10, 27, 1)
        assert schedule.previous_before(first_0230) == at(2024, 10, 26, 0, 45)

    def test_half_hour_dst_shift(self) -> None:
        # Lord Howe Island moves its clocks by 30 minutes; hourly ticks stay on the local hour.
        schedule = CronSchedule("0 * * * *", "Australia/Lord_Howe")
        assert schedule.next_after(at(2024, 4, 6, 14)) == at(2024, 4, 6, 15, 30)  # 01:00 +11 -> 02:00 +10:30
        assert schedule.next_after(at(2024, 10, 5, 14, 30)) == at(2024, 10, 5, 16)  # 01:00 +10:30 -> 03:00 +11
