"""serialize()/deserialize(): every timetable round-trips through JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from dateutil.relativedelta import FR, MO, relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from dagmap.errors import ScheduleError
from dagmap.timetables import (
    ContinuousTimetable,
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DeltaDataIntervalTimetable,
    NullTimetable,
    OnceTimetable,
    TimeRestriction,
    Timetable,
    deserialize,
    parse_schedule,
)

ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "+05:30", "-03:00"]


def round_trip(timetable: Timetable) -> Timetable:
    return deserialize(json.loads(json.dumps(timetable.serialize())))


@pytest.mark.parametrize(
    "timetable",
    [
        NullTimetable(),
        OnceTimetable(),
        ContinuousTimetable(),
        CronDataIntervalTimetable("@daily"),
        CronDataIntervalTimetable("@annually", "Europe/Amsterdam"),
        CronDataIntervalTimetable("*/5 9-17 * * MON-FRI", timezone(timedelta(hours=-3))),
        DeltaDataIntervalTimetable(timedelta(hours=1, microseconds=7)),
        DeltaDataIntervalTimetable(relativedelta(months=1, days=2)),
        DeltaDataIntervalTimetable(relativedelta(weeks=1, weekday=FR(-1), hour=6)),
        CronTriggerTimetable("0 2 * * *", timezone="America/New_York"),
        CronTriggerTimetable("0 2 * * *", timezone="Asia/Tokyo", interval=relativedelta(days=1, weekday=MO)),
    ],
    ids=repr,
)
def test_round_trip(timetable: Timetable) -> None:
    rebuilt = round_trip(timetable)
    assert type(rebuilt) is type(timetable)
    assert rebuilt == timetable
    assert rebuilt.summary == timetable.summary
    assert rebuilt.description == timetable.description
    assert rebuilt.serialize() == timetable.serialize()


def test_serialized_forms_are_stable() -> None:
    assert NullTimetable().serialize() == {"type": "null"}
    assert parse_schedule("0 2 * * *", timezone="Europe/Amsterdam").serialize() == {
        "type": "cron_data_interval",
        "expression": "0 2 * * *",
        "timezone": "Europe/Amsterdam",
    }
    assert parse_schedule(timedelta(days=1)).serialize() == {
        "type": "delta_data_interval",
        "delta": {"kind": "timedelta", "days": 1, "seconds": 0, "microseconds": 0},
    }


def test_the_dag_spec_default_is_the_null_timetable() -> None:
    assert deserialize({"type": "null"}) == NullTimetable()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"type": "sundial"}, "unknown type 'sundial'"),
        ({}, "unknown type None"),
        ({"type": "cron_data_interval", "timezone": "UTC"}, "KeyError('expression')"),
        ({"type": "cron_data_interval", "expression": "nope", "timezone": "UTC"}, "5 fields"),
        ({"type": "delta_data_interval", "delta": {"kind": "fortnight"}}, "cannot read serialized interval"),
        ({"type": "cron_data_interval", "expression": "@daily", "timezone": "Nowhere/Land"}, "Nowhere"),
    ],
)
def test_bad_payloads_raise_schedule_error(data: dict[str, object], fragment: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        deserialize(data)
    assert fragment in str(caught.value)


def test_not_a_mapping() -> None:
    with pytest.raises(ScheduleError, match="unknown type"):
        deserialize(["null"])  # type: ignore[arg-type]


# --- generated schedules --------------------------------------------------------------------------

minute_field = st.sampled_from(["0", "15", "*/10", "5,35", "*"])
hour_field = st.sampled_from(["0", "2", "*", "*/3", "9-17", "1,13"])
dom_field = st.sampled_from(["*", "1", "15", "1-7", "L"])
month_field = st.sampled_from(["*", "1", "*/3", "3,10"])
dow_field = st.sampled_from(["*", "0", "1-5", "SAT,SUN"])
cron_text = st.builds(lambda *f: " ".join(f), minute_field, hour_field, dom_field, month_field, dow_field)
zone_name = st.sampled_from(ZONES)
small = st.integers(min_value=0, max_value=40)
timedeltas = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3650))
relativedeltas = st.builds(
    relativedelta, years=st.integers(0, 3), months=small, days=small, hours=small, minutes=small
).filter(lambda d: bool(d.years or d.months or d.days or d.hours or d.minutes))
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC))


@settings(max_examples=60, deadline=None)
@given(cron_text, zone_name)
def test_generated_cron_round_trips(expression: str, zone: str) -> None:
    for timetable in (CronDataIntervalTimetable(expression, zone), CronTriggerTimetable(expression, timezone=zone)):
        assert round_trip(timetable) == timetable


@settings(max_examples=60, deadline=None)
@given(st.one_of(timedeltas, relativedeltas))
def test_generated_delta_round_trips(delta: timedelta | relativedelta) -> None:
    timetable = DeltaDataIntervalTimetable(delta)
    rebuilt = round_trip(timetable)
    assert rebuilt == timetable
    assert isinstance(rebuilt, DeltaDataIntervalTimetable)
    assert rebuilt.delta == delta


@settings(max_examples=40, deadline=None)
@given(cron_text, zone_name, moments)
def test_rebuilt_timetable_schedules_identically(expression: str, zone: str, start: datetime) -> None:
    timetable = CronDataIntervalTimetable(expression, zone)
    rebuilt = round_trip(timetable)
    restriction = TimeRestriction(start, None, catchup=True)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info == rebuilt.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
