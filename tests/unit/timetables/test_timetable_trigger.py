"""CronTriggerTimetable: a run at each cron tick, like plain cron."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from dagmap.timetables import CronTriggerTimetable, DagRunInfo, DataInterval, TimeRestriction

Walk = Callable[..., list[DagRunInfo]]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_runs_at_each_tick_with_a_zero_length_interval(runs: Walk) -> None:
    timetable = CronTriggerTimetable("0 2 * * *")
    found = runs(timetable, TimeRestriction(at(2024, 1, 1), None, catchup=True), 3)
    assert found == [DagRunInfo.exact(at(2024, 1, d, 2)) for d in (1, 2, 3)]
    assert found[0].logical_date == found[0].run_after == at(2024, 1, 1, 2)


def test_start_date_on_a_tick_is_the_first_run(runs: Walk) -> None:
    found = runs(CronTriggerTimetable("@daily"), TimeRestriction(at(2024, 1, 1), None, catchup=True), 1)
    assert found == [DagRunInfo.exact(at(2024, 1, 1))]


def test_interval_reaches_back_from_the_tick(runs: Walk) -> None:
    timetable = CronTriggerTimetable("0 2 * * *", interval=timedelta(hours=4))
    found = runs(timetable, TimeRestriction(at(2024, 1, 1), None, catchup=True), 2)
    assert [(i.run_after, i.data_interval) for i in found] == [
        (at(2024, 1, 1, 2), DataInterval(at(2023, 12, 31, 22), at(2024, 1, 1, 2))),
        (at(2024, 1, 2, 2), DataInterval(at(2024, 1, 1, 22), at(2024, 1, 2, 2))),
    ]
    assert timetable.infer_manual_data_interval(at(2024, 1, 5, 9)) == DataInterval(at(2024, 1, 5, 5), at(2024, 1, 5, 9))


def test_manual_run_without_interval_is_an_instant() -> None:
    assert CronTriggerTimetable("@hourly").infer_manual_data_interval(at(2024, 1, 5, 9, 13)) == DataInterval.exact(
        at(2024, 1, 5, 9, 13)
    )


def test_no_catchup_runs_the_latest_tick_at_once_then_follows_the_cron(runs: Walk) -> None:
    restriction = TimeRestriction(at(2024, 1, 1), None, catchup=False)
    found = runs(CronTriggerTimetable("0 2 * * *"), restriction, 2, now=at(2024, 5, 10, 15))
    assert found == [DagRunInfo.exact(at(2024, 5, 10, 2)), DagRunInfo.exact(at(2024, 5, 11, 2))]


def test_no_catchup_on_a_tick_runs_that_tick() -> None:
    info = CronTriggerTimetable("0 2 * * *").next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(None, None, catchup=False),
        now=at(2024, 5, 10, 2),
    )
    assert info == DagRunInfo.exact(at(2024, 5, 10, 2))


def test_no_catchup_skips_ticks_missed_since_the_last_run() -> None:
    info = CronTriggerTimetable("0 2 * * *").next_dagrun_info(
        last_automated_data_interval=DataInterval.exact(at(2024, 2, 1, 2)),
        restriction=TimeRestriction(at(2024, 1, 1), None, catchup=False),
        now=at(2024, 5, 10, 15),
    )
    assert info == DagRunInfo.exact(at(2024, 5, 10, 2))


def test_no_catchup_with_future_start_date() -> None:
    info = CronTriggerTimetable("0 2 * * *").next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(at(2024, 6, 1, 3), None, catchup=False),
        now=at(2024, 5, 10, 15),
    )
    assert info == DagRunInfo.exact(at(2024, 6, 2, 2))


def test_catchup_without_start_date_schedules_nothing() -> None:
    restriction = TimeRestriction(None, None, catchup=True)
    assert (
        CronTriggerTimetable("@daily").next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
        is None
    )


def test_end_date(runs: Walk) -> None:
    restriction = TimeRestriction(at(2024, 1, 1), at(2024, 1, 3, 2), catchup=True)
    found = runs(CronTriggerTimetable("0 2 * * *"), restriction, 10)
    assert [info.run_after for info in found] == [at(2024, 1, 1, 2), at(2024, 1, 2, 2), at(2024, 1, 3, 2)]


def test_summary_description_and_equality() -> None:
    timetable = CronTriggerTimetable("0 2 * * *", timezone="Europe/Amsterdam")
    assert timetable.summary == "0 2 * * *"
    assert timetable.description == "At 02:00 (Europe/Amsterdam)"
    assert timetable.periodic and timetable.can_be_scheduled
    assert timetable == CronTriggerTimetable("0 2 * * *", timezone="Europe/Amsterdam")
    assert timetable != CronTriggerTimetable("0 2 * * *", timezone="UTC")
    assert timetable != CronTriggerTimetable("0 2 * * *", timezone="Europe/Amsterdam", interval=timedelta(hours=1))
