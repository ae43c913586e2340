"""``airflow.utils.timezone``: aware datetimes in the configured default time zone (``core.default_timezone``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import dateutil.parser

from dagmap.config import get_settings
from dagmap.timetables import coerce_datetime, parse_timezone
from dagmap.timetables.timezones import to_wall_clock

utc = dt.UTC


def _zone(timezone: Any) -> dt.tzinfo:
    return parse_timezone(timezone if timezone is not None else get_settings().core.default_timezone)


def datetime(*args: Any, **kwargs: Any) -> dt.datetime:
    """``datetime.datetime(...)``, in the default time zone unless ``tzinfo`` is given."""
    kwargs.setdefault("tzinfo", _zone(None))
    return dt.datetime(*args, **kwargs)


def utcnow() -> dt.datetime:
    """Now, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def is_localized(value: dt.datetime) -> bool:
    return value.utcoffset() is not None


def is_naive(value: dt.datetime) -> bool:
    return value.utcoffset() is None


def make_aware(value: dt.datetime, timezone: Any = None) -> dt.datetime:
    """A naive wall-clock ``value`` read in ``timezone`` (default: the default zone); refuses aware values."""
    if is_localized(value):
        raise ValueError(f"make_aware expects a naive datetime, got {value}")
    zone = _zone(timezone)
    return coerce_datetime(value, zone).astimezone(zone)


def make_naive(value: dt.datetime, timezone: Any = None) -> dt.datetime:
    """The naive wall-clock time ``value`` shows in ``timezone`` (default: the default zone)."""
    if is_naive(value):
        raise ValueError("make_naive() cannot be applied to a naive datetime")
    return to_wall_clock(value, _zone(timezone))


def convert_to_utc(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` in UTC; a naive one is read in the default zone."""
    return None if value is None else coerce_datetime(value, _zone(None))


def parse(string: str, timezone: Any = None) -> dt.datetime:
    """An ISO 8601 (or dateutil-readable) date-time; naive text is read in ``timezone`` (default zone)."""
    value = dateutil.parser.parse(string)
    return value if is_localized(value) else make_aware(value, timezone)
