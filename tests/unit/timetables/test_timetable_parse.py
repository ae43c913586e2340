"""parse_schedule: every accepted schedule value, and clear errors for the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from dagmap.errors import DagDefinitionError, ScheduleError
from dagmap.timetables import (
    ContinuousTimetable,
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DataInterval,
    DeltaDataIntervalTimetable,
    NullTimetable,
    OnceTimetable,
    parse_schedule,
)


def test_none_is_manual_only() -> None:
    timetable = parse_schedule(None)
    assert isinstance(timetable, NullTimetable)
    assert not timetable.can_be_scheduled
    assert not timetable.periodic
    assert timetable.summary == "None"


@pytest.mark.parametrize(
    ("value", "kind"),
    [("@once", OnceTimetable), ("@continuous", ContinuousTimetable), (" @ONCE ", OnceTimetable)],
)
def test_special_presets(value: str, kind: type) -> None:
    timetable = parse_schedule(value)
    assert type(timetable) is kind
    assert timetable.summary == value.strip().lower()
    assert timetable.can_be_scheduled
    assert not timetable.periodic


def test_only_continuous_limits_active_runs() -> None:
    assert parse_schedule("@continuous").active_runs_limit == 1
    assert parse_schedule("@once").active_runs_limit is None
    assert parse_schedule("@daily").active_runs_limit is None


@pytest.mark.parametrize(
    ("preset", "fields", "description"),
    [
        ("@hourly", "0 * * * *", "At minute 0 of every hour"),
        ("@daily", "0 0 * * *", "At 00:00"),
        ("@weekly", "0 0 * * 0", "At 00:00, on Sunday"),
        ("@monthly", "0 0 1 * *", "At 00:00, on day 1 of the month"),
        ("@quarterly", "0 0 1 */3 *", "At 00:00, on day 1, every 3 months"),
        ("@yearly", "0 0 1 1 *", "At 00:00, on day 1, in January"),
        ("@annually", "0 0 1 1 *", "At 00:00, on day 1, in January"),
    ],
)
def test_presets_are_cron_data_interval_timetables(preset: str, fields: str, description: str) -> None:
    timetable = parse_schedule(preset)
    assert isinstance(timetable, CronDataIntervalTimetable)
    assert timetable.summary == preset
    assert timetable.description == description
    assert timetable.periodic and timetable.can_be_scheduled
    assert timetable.timezone is UTC
    # The preset schedules exactly like its cron expression.
    as_cron = CronDataIntervalTimetable(fields)
    for moment in (datetime(2024, 2, 29, 13, 7, tzinfo=UTC), datetime(2025, 12, 31, 23, 59, tzinfo=UTC)):
        assert timetable.infer_manual_data_interval(moment) == as_cron.infer_manual_data_interval(moment)


def test_cron_string_with_time_zone() -> None:
    timetable = parse_schedule("  0 2 * * 1-5 ", timezone="Europe/Amsterdam")
    assert isinstance(timetable, CronDataIntervalTimetable)
    assert timetable.summary == "0 2 * * 1-5"
    assert timetable.timezone == ZoneInfo("Europe/Amsterdam")
    assert timetable.description == "At 02:00, Monday through Friday (Europe/Amsterdam)"


@pytest.mark.parametrize("zone", [ZoneInfo("America/New_York"), "America/New_York"])
def test_time_zone_as_tzinfo_or_name(zone: object) -> None:
    timetable = parse_schedule("@daily", timezone=zone)  # type: ignore[arg-type]
    assert isinstance(timetable, CronDataIntervalTimetable)
    assert timetable.timezone == ZoneInfo("America/New_York")


def test_fixed_offset_time_zone() -> None:
    timetable = parse_schedule("@daily", timezone=timezone(timedelta(hours=5, minutes=30)))
    # 12:00 UTC is 17:30 at +05:30: the last complete local day ended at midnight, 18:30 UTC the day before.
    assert timetable.infer_manual_data_interval(datetime(2024, 1, 2, 12, tzinfo=UTC)) == DataInterval(
        datetime(2023, 12, 31, 18, 30, tzinfo=UTC), datetime(2024, 1, 1, 18, 30, tzinfo=UTC)
    )


@pytest.mark.parametrize("delta", [timedelta(hours=6), relativedelta(months=1), relativedelta(weeks=1, days=1)])
def test_deltas_are_delta_data_interval_timetables(delta: timedelta | relativedelta) -> None:
    timetable = parse_schedule(delta)
    assert isinstance(timetable, DeltaDataIntervalTimetable)
    assert timetable.delta == delta
    assert timetable.periodic


def test_timedelta_summary_is_its_text() -> None:
    assert parse_schedule(timedelta(days=1)).summary == "1 day, 0:00:00"
    assert parse_schedule(timedelta(days=1)).description == "Every 1 day, 0:00:00"


def test_a_timetable_is_used_as_is() -> None:
    trigger = CronTriggerTimetable("*/10 * * * *", timezone="Asia/Tokyo")
    assert parse_schedule(trigger, timezone="Europe/Amsterdam") is trigger


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (42, "not int"),
        (["@daily"], "not list"),
        ("", "empty"),
        ("   ", "empty"),
        ("@fortnightly", "unknown preset"),
        ("0 0 * *", "5 fields"),
        ("0 0 0 * * *", "5 fields"),
        ("61 * * * *", "out of range"),
        ("a b c d e", "is not acceptable"),
        ("0 0 31 2 *", "never matches"),
        (timedelta(0), "positive"),
        (timedelta(hours=-1), "positive"),
        (relativedelta(day=1), "positive length"),
        (relativedelta(months=1, days=-40), "positive"),
    ],
)
def test_bad_schedules_raise_schedule_error_quoting_the_value(value: object, fragment: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(value)  # type: ignore[arg-type]
    error = caught.value
    assert isinstance(error, DagDefinitionError)
    assert repr(value) in str(error)
    assert fragment in str(error)
    assert error.argument == "schedule"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "+25:00", "not a zone"])
def test_bad_time_zone(zone: str) -> None:
    with pytest.raises(ScheduleError, match="time zone") as caught:
        parse_schedule("@daily", timezone=zone)
    assert caught.value.argument == "timezone"
    assert repr(zone) in str(caught.value)
