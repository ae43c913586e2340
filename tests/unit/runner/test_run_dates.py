"""prev/next_execution_date as Airflow 2 defines them, from the DAG's timetable (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dagmap.runner.run_dates import schedule_neighbours
from dagmap.timetables import (
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DeltaDataIntervalTimetable,
    NullTimetable,
    OnceTimetable,
)

JAN_2 = datetime(2024, 1, 2, tzinfo=UTC)
JAN_3 = datetime(2024, 1, 3, tzinfo=UTC)


def test_daily_cron_scheduled_run_has_the_days_around_it() -> None:
    got = schedule_neighbours(CronDataIntervalTimetable("@daily"), "scheduled", JAN_2, JAN_2, JAN_3)
    assert got == (datetime(2024, 1, 1, tzinfo=UTC), JAN_3)


def test_timedelta_schedule_steps_by_its_delta() -> None:
    timetable = DeltaDataIntervalTimetable(timedelta(hours=6))
    start = datetime(2024, 1, 2, 6, tzinfo=UTC)
    got = schedule_neighbours(timetable, "backfill", start, start, start + timedelta(hours=6))
    assert got == (datetime(2024, 1, 2, 0, tzinfo=UTC), datetime(2024, 1, 2, 12, tzinfo=UTC))


def test_manual_run_gets_its_own_logical_date_for_both() -> None:
    got = schedule_neighbours(CronDataIntervalTimetable("@daily"), "manual", JAN_2, JAN_2, JAN_3)
    assert got == (JAN_2, JAN_2)


def test_no_schedule_and_once_have_neither() -> None:
    assert schedule_neighbours(NullTimetable(), "scheduled", JAN_2, JAN_2, JAN_2) == (None, None)
    assert schedule_neighbours(OnceTimetable(), "scheduled", JAN_2, JAN_2, JAN_2) == (None, None)


def test_trigger_timetable_has_a_next_but_no_previous() -> None:
    # Airflow's previous_schedule is defined for data-interval timetables only.
    got = schedule_neighbours(CronTriggerTimetable("@daily"), "scheduled", JAN_2, JAN_2, JAN_2)
    assert got == (None, JAN_3)


def test_a_run_without_logical_date_has_neither() -> None:
    assert schedule_neighbours(CronDataIntervalTimetable("@daily"), "scheduled", None, None, None) == (None, None)
