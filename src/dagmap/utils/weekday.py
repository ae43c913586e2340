"""``airflow.utils.weekday`` / ``airflow.providers.standard.utils.weekday``: WeekDay, ISO day numbers."""

from __future__ import annotations

import enum
from collections.abc import Iterable


@enum.unique
class WeekDay(enum.IntEnum):
    """The days of the week, numbered as ISO 8601 does (Monday is 1, Sunday 7)."""

    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7

    @classmethod
    def get_weekday_number(cls, week_day_str: str) -> WeekDay:
        """The day named ``week_day_str`` (any case, ``"Sunday"``); an unknown name is an AttributeError."""
        name = week_day_str.upper()
        if name not in cls.__members__:
            raise AttributeError(f'Invalid Week Day passed: "{week_day_str}"')
        return cls[name]

    @classmethod
    def convert(cls, day: str | WeekDay) -> WeekDay:
        return day if isinstance(day, WeekDay) else cls.get_weekday_number(day)

    @classmethod
    def validate_week_day(cls, week_day: str | WeekDay | Iterable[str | WeekDay]) -> set[int]:
        """The ISO numbers of one day or of several (names or WeekDay members)."""
        if isinstance(week_day, (str, WeekDay)):
            return {cls.convert(week_day)}
        if not isinstance(week_day, Iterable):
            raise TypeError(
                f"Unsupported type for week_day: {type(week_day).__name__}; give a day name, a WeekDay or an "
                "iterable of them"
            )
        return {cls.convert(day) for day in week_day}
