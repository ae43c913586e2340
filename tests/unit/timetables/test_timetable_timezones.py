"""Time zone helpers and cron descriptions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from dateutil import tz as dateutil_tz

from dagmap.errors import ScheduleError
from dagmap.timetables import coerce_datetime, dag_timezone, parse_timezone, timezone_name
from dagmap.timetables.describe import describe_cron
from dagmap.timetables.timezones import from_wall_clock, wall_clock_instants

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("UTC", "UTC"),
        ("Z", "UTC"),
        (ZoneInfo("UTC"), "UTC"),
        (UTC, "UTC"),
        (dateutil_tz.tzutc(), "UTC"),
        ("Europe/Amsterdam", "Europe/Amsterdam"),
        (AMSTERDAM, "Europe/Amsterdam"),
        ("+05:30", "+05:30"),
        ("-0300", "-03:00"),
        ("+00:00", "UTC"),
        (timezone(timedelta(hours=-3)), "-03:00"),
    ],
)
def test_parse_and_name_round_trip(value: object, name: str) -> None:
    zone = parse_timezone(value)  # type: ignore[arg-type]
    assert timezone_name(zone) == name
    assert parse_timezone(timezone_name(zone)) == zone


def test_named_foreign_zone_objects_are_converted() -> None:
    class PendulumLikeZone(tzinfo):
        name = "Asia/Tokyo"

        def utcoffset(self, dt: datetime | None) -> timedelta:
            return timedelta(hours=9)

    assert parse_timezone(PendulumLikeZone()) == ZoneInfo("Asia/Tokyo")


def test_a_zone_without_a_name_is_refused() -> None:
    with pytest.raises(ScheduleError, match="IANA"):
        parse_timezone(dateutil_tz.gettz("Europe/Amsterdam"))  # type: ignore[arg-type]


def test_coerce_datetime_reads_naive_values_in_the_zone() -> None:
    assert coerce_datetime(datetime(2024, 7, 1, 12), "Europe/Amsterdam") == datetime(2024, 7, 1, 10, tzinfo=UTC)
    assert coerce_datetime(datetime(2024, 7, 1, 12)) == datetime(2024, 7, 1, 12, tzinfo=UTC)
    aware = datetime(2024, 7, 1, 12, tzinfo=AMSTERDAM)
    assert coerce_datetime(aware, "Asia/Tokyo") == datetime(2024, 7, 1, 10, tzinfo=UTC)


def test_dag_timezone_comes_from_an_aware_start_date() -> None:
    assert dag_timezone(datetime(2024, 1, 1, tzinfo=AMSTERDAM)) == AMSTERDAM
    assert dag_timezone(datetime(2024, 1, 1), "America/New_York") == ZoneInfo("America/New_York")
    assert dag_timezone(None, "Asia/Tokyo") == ZoneInfo("Asia/Tokyo")
    assert dag_timezone(None) is UTC


def test_wall_clock_resolution() -> None:
    # Missing (spring forward): moved forward by the gap. Repeated (fall back): the second occurrence.
    assert from_wall_clock(datetime(2024, 3, 31, 2, 30), AMSTERDAM) == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    assert from_wall_clock(datetime(2024, 10, 27, 2, 30), AMSTERDAM) == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    assert wall_clock_instants(datetime(2024, 3, 31, 2, 30), AMSTERDAM) == []
    assert wall_clock_instants(datetime(2024, 10, 27, 2, 30), AMSTERDAM) == [
        datetime(2024, 10, 27, 0, 30, tzinfo=UTC),
        datetime(2024, 10, 27, 1, 30, tzinfo=UTC),
    ]
    assert wall_clock_instants(datetime(2024, 7, 1, 2, 30), AMSTERDAM) == [datetime(2024, 7, 1, 0, 30, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ("0 2 * * 1-5", "At 02:00, Monday through Friday"),
        ("*/10 * * * *", "Every 10 minutes"),
        ("* * * * *", "Every minute"),
        ("15 */6 * * *", "At minute 15 of every 6 hours"),
        ("0 9,17 * * SAT,SUN", "At minute 0 of hour 9,17, on SAT and SUN"),
        ("30 4 1,15 * *", "At 04:30, on day 1,15 of the month"),
        ("0 0 1 1,7 *", "At 00:00, on day 1, in January and July"),
        ("not a cron", "not a cron"),
    ],
)
def test_describe_cron(fields: str, text: str) -> None:
    assert describe_cron(fields) == text
