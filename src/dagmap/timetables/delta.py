"""Fixed-interval schedules: validate, serialize and measure ``timedelta`` / ``relativedelta`` values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

from dateutil.relativedelta import relativedelta, weekday

from dagmap.errors import ScheduleError

__all__ = ["Delta", "decode_delta", "delta_microseconds", "encode_delta", "validate_delta"]

Delta: TypeAlias = timedelta | relativedelta

_RELATIVE = ("years", "months", "days", "leapdays", "hours", "minutes", "seconds", "microseconds")
_ABSOLUTE = ("year", "month", "day", "hour", "minute", "second", "microsecond")
_PROBES = tuple(datetime(*ymd, tzinfo=UTC) for ymd in ((2000, 1, 1), (2023, 2, 28), (2024, 2, 29), (2024, 12, 31)))


def validate_delta(delta: Delta, *, allow_zero: bool = False) -> Delta:
    """``delta`` itself, or :class:`ScheduleError` when it does not move time forward."""
    moves = [probe + delta for probe in _PROBES]
    if not allow_zero and delta_microseconds(delta) <= 0:
        raise ScheduleError(
            f"invalid schedule {delta!r}: the interval needs a positive length (years, months, days, ...)",
            argument="schedule",
        )
    if any(moved < probe for moved, probe in zip(moves, _PROBES, strict=True)) or (
        not allow_zero and any(moved == probe for moved, probe in zip(moves, _PROBES, strict=True))
    ):
        raise ScheduleError(f"invalid schedule {delta!r}: the interval must be positive", argument="schedule")
    return delta


def delta_microseconds(delta: Delta) -> int:
    """The length of ``delta`` in microseconds; months count 30 days and years 365, as in Airflow."""
    if isinstance(delta, timedelta):
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    seconds = (
        delta.years * 365 * 86_400
        + delta.months * 30 * 86_400
        + delta.days * 86_400
        + delta.hours * 3_600
        + delta.minutes * 60
        + delta.seconds
    )
    return int(seconds * 1_000_000 + delta.microseconds)


def encode_delta(delta: Delta) -> dict[str, Any]:
    """A JSON-able dict that :func:`decode_delta` turns back into an equal delta."""
    if isinstance(delta, timedelta):
        return {"kind": "timedelta", "days": delta.days, "seconds": delta.seconds, "microseconds": delta.microseconds}
    encoded: dict[str, Any] = {"kind": "relativedelta"}
    for name in (*_RELATIVE, *_ABSOLUTE):
        value = getattr(delta, name)
        if value:
            encoded[name] = value
    if delta.weekday is not None:
        encoded["weekday"] = [delta.weekday.weekday, delta.weekday.n]
    return encoded


def decode_delta(data: dict[str, Any]) -> Delta:
    kind = data.get("kind")
    if kind == "timedelta":
        return timedelta(days=data["days"], seconds=data["seconds"], microseconds=data["microseconds"])
    if kind == "relativedelta":
        fields = {name: data[name] for name in (*_RELATIVE, *_ABSOLUTE) if name in data}
        if "weekday" in data:
            day, n = data["weekday"]
            fields["weekday"] = weekday(day, n)
        return relativedelta(**fields)
    raise ScheduleError(f"cannot read serialized interval {data!r}")
