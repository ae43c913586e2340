"""Properties every periodic timetable keeps, for generated cron expressions, zones and start dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dagmap.timetables import (
    CronDataIntervalTimetable,
    CronSchedule,
    CronTriggerTimetable,
    DataInterval,
    TimeRestriction,
)

ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago"]
cron_text = st.builds(
    lambda *f: " ".join(f),
    st.sampled_from(["0", "30", "*/15", "5,35"]),
    st.sampled_from(["0", "2", "*", "*/2", "1-3", "23"]),
    st.sampled_from(["*", "1", "1-7"]),
    st.sampled_from(["*", "3,4,10,11", "*/2"]),
    st.sampled_from(["*", "0", "1-5"]),
)
zones = st.sampled_from(ZONES)
# Around DST changes of most zones above, and anywhere else.
moments = st.one_of(
    st.datetimes(min_value=datetime(2024, 3, 8), max_value=datetime(2024, 4, 8), timezones=st.just(UTC)),
    st.datetimes(min_value=datetime(2024, 10, 1), max_value=datetime(2024, 11, 5), timezones=st.just(UTC)),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
)


@settings(max_examples=150, deadline=None)
@given(cron_text, zones, moments)
def test_data_intervals_are_contiguous_increasing_and_on_ticks(expression: str, zone: str, start: datetime) -> None:
    timetable = CronDataIntervalTimetable(expression, zone)
    schedule = CronSchedule(expression, zone)  # type: ignore[arg-type]
    restriction = TimeRestriction(start, None, catchup=True)
    last: DataInterval | None = None
    for _ in range(12):
        info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        assert info is not None
        interval = info.data_interval
        assert interval.start.tzinfo is UTC and interval.end.tzinfo is UTC and info.run_after.tzinfo is UTC
        assert interval.start < interval.end == info.run_after
        assert interval.start >= start
        assert schedule.align_down(interval.start) == interval.start
        assert schedule.next_after(interval.start) == interval.end
        if last is not None:
            assert interval.start == last.end
        last = interval


@settings(max_examples=200, deadline=None)
@given(cron_text, zones, moments)
def test_next_and_previous_are_strict_and_inverse(expression: str, zone: str, moment: datetime) -> None:
    schedule = CronSchedule(expression, zone)  # type: ignore[arg-type]
    upcoming = schedule.next_after(moment)
    previous = schedule.previous_before(moment)
    assert previous < moment < upcoming
    assert schedule.previous_before(upcoming) <= moment
    assert schedule.next_after(previous) >= moment
    assert schedule.align_down(moment) <= moment <= schedule.align_up(moment)


@settings(max_examples=100, deadline=None)
@given(cron_text, zones, moments, st.booleans())
def test_no_catchup_first_run_is_complete_and_recent(expression: str, zone: str, now: datetime, trigger: bool) -> None:
    timetable = (
        CronTriggerTimetable(expression, timezone=zone) if trigger else CronDataIntervalTimetable(expression, zone)
    )
    schedule = CronSchedule(expression, zone)  # type: ignore[arg-type]
    restriction = TimeRestriction(datetime(1999, 1, 1, tzinfo=UTC), None, catchup=False)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction, now=now)
    assert info is not None
    # Due now or earlier, and no later tick has passed since it.
    assert info.run_after <= now
    assert schedule.next_after(info.run_after) > now


@settings(max_examples=100, deadline=None)
@given(cron_text, zones, moments)
def test_manual_interval_is_the_last_complete_period(expression: str, zone: str, run_after: datetime) -> None:
    interval = CronDataIntervalTimetable(expression, zone).infer_manual_data_interval(run_after)
    schedule = CronSchedule(expression, zone)  # type: ignore[arg-type]
    assert interval.start < interval.end <= run_after
    assert schedule.next_after(interval.start) == interval.end
    assert schedule.next_after(interval.end) > run_after
    assert interval.end - interval.start <= timedelta(days=366 * 2)
