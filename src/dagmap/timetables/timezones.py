"""Time zone helpers of the timetables: parse and name zones, and move between UTC and wall-clock time.

Everything a timetable returns is aware UTC; wall-clock (naive) times exist only while cron is evaluated.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dagmap.errors import ScheduleError

__all__ = [
    "UTC",
    "coerce_datetime",
    "dag_timezone",
    "from_wall_clock",
    "parse_timezone",
    "timezone_name",
    "to_utc",
    "to_wall_clock",
    "utcnow",
    "wall_clock_instants",
]

_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
_UTC_NAMES = frozenset({"UTC", "utc", "Z", "z"})


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_timezone(value: str | tzinfo) -> tzinfo:
    """A ``tzinfo`` for an IANA name (``Europe/Amsterdam``), ``UTC``, an offset (``+05:30``) or a tzinfo.

    Foreign zone objects (pendulum, pytz, dateutil) are converted to :class:`zoneinfo.ZoneInfo` by name so
    that every zone can be serialized; a zone without a recoverable name raises :class:`ScheduleError`.
    """
    if isinstance(value, str):
        return _zone_from_name(value)
    if isinstance(value, ZoneInfo):
        return UTC if value.key in _UTC_NAMES else value
    if isinstance(value, timezone):
        return UTC if value.utcoffset(None) == timedelta(0) else value
    for attribute in ("key", "zone", "name"):  # pendulum 3, pytz, pendulum 2
        name = getattr(value, attribute, None)
        if isinstance(name, str) and name:
            return _zone_from_name(name)
    probes = (datetime(2000, 1, 1, tzinfo=value), datetime(2000, 7, 1, tzinfo=value))
    if all(probe.utcoffset() == timedelta(0) for probe in probes):  # e.g. dateutil's tzutc()
        return UTC
    raise ScheduleError(
        f"cannot use time zone {value!r}: give an IANA name such as 'Europe/Amsterdam' or a ZoneInfo",
        argument="timezone",
    )


def dag_timezone(start_date: datetime | None, default: str | tzinfo = UTC) -> tzinfo:
    """The zone a DAG's cron is read in: its start date's zone when that is aware, else ``default``
    (``core.default_timezone``), as in Airflow."""
    if start_date is not None and start_date.tzinfo is not None and start_date.utcoffset() is not None:
        return parse_timezone(start_date.tzinfo)
    return parse_timezone(default)


def _zone_from_name(name: str) -> tzinfo:
    name = name.strip()
    if name in _UTC_NAMES:
        return UTC
    match = _OFFSET.match(name)
    if match:
        sign, hours, minutes = match.groups()
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        if offset >= timedelta(hours=24):
            raise ScheduleError(f"time zone offset {name!r} is out of range", argument="timezone")
        return timezone(-offset if sign == "-" else offset) if offset else UTC
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ScheduleError(f"unknown time zone {name!r}", argument="timezone") from error
    return UTC if zone.key in _UTC_NAMES else zone


def timezone_name(zone: tzinfo) -> str:
    """The serialized name of a zone returned by :func:`parse_timezone` (the inverse of it)."""
    if zone is UTC:
        return "UTC"
    if isinstance(zone, ZoneInfo):
        return zone.key
    offset = zone.utcoffset(None)
    if isinstance(zone, timezone) and offset is not None:
        sign = "-" if offset < timedelta(0) else "+"
        minutes = abs(int(offset.total_seconds())) // 60
        return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return timezone_name(parse_timezone(zone))


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is a programming error here (see :func:`coerce_datetime`)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def coerce_datetime(value: datetime, zone: str | tzinfo = UTC) -> datetime:
    """``value`` in UTC, reading a naive datetime as wall-clock time in ``zone`` (Airflow's rule for dates)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return from_wall_clock(value.replace(tzinfo=None), parse_timezone(zone))
    return value.astimezone(UTC)


def to_wall_clock(value: datetime, zone: tzinfo) -> datetime:
    """The naive wall-clock time that ``value`` shows in ``zone``."""
    return to_utc(value).astimezone(zone).replace(tzinfo=None, fold=0)


def from_wall_clock(naive: datetime, zone: tzinfo) -> datetime:
    """The UTC instant of a wall-clock time in ``zone``, resolving DST the way Airflow does.

    A time that happens twice (clocks go back) means its *second* occurrence; a time that does not exist
    (clocks go forward) is moved forward by the gap, so 02:30 on a spring-forward night is 03:30.
    """
    earlier = naive.replace(tzinfo=zone, fold=0)
    later = naive.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return earlier.astimezone(UTC)
    exists = earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive
    # zoneinfo reads a missing time with the offset from before the gap when fold=0: that is the instant
    # the clock shows as "time + gap", which is what we want.
    return (later if exists else earlier).astimezone(UTC)


def wall_clock_instants(naive: datetime, zone: tzinfo) -> list[datetime]:
    """Every UTC instant at which ``zone``'s clock shows ``naive``: none in a gap, two in a fold."""
    found = set()
    for fold in (0, 1):
        instant = naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == naive:
            found.add(instant)
    return sorted(found)
