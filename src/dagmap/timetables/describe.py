"""Plain-English descriptions of cron expressions for the UI and CLI (best effort, never raises)."""

from __future__ import annotations

__all__ = ["describe_cron"]

_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def describe_cron(fields: str) -> str:
    """E.g. ``"0 2 * * 1-5"`` -> ``"At 02:00, Monday through Friday"``."""
    try:
        minute, hour, day_of_month, month, day_of_week = fields.split()
    except ValueError:
        return fields
    parts = [_time(minute, hour)]
    if day_of_month != "*" and day_of_month != "?":
        parts.append(f"on day {day_of_month} of the month" if month == "*" else f"on day {day_of_month}")
    if month != "*":
        parts.append(_month(month))
    if day_of_week not in ("*", "?"):
        parts.append(_weekdays(day_of_week))
    return ", ".join(parts)


def _time(minute: str, hour: str) -> str:
    if minute.isdigit() and hour.isdigit():
        return f"At {int(hour):02d}:{int(minute):02d}"
    if minute == "*" and hour == "*":
        return "Every minute"
    if minute.startswith("*/") and hour == "*":
        return f"Every {minute[2:]} minutes"
    if minute.isdigit() and hour == "*":
        return f"At minute {int(minute)} of every hour"
    if minute.isdigit() and hour.startswith("*/"):
        return f"At minute {int(minute)} of every {hour[2:]} hours"
    minutes = "every minute" if minute == "*" else f"minute {minute}"
    hours = "every hour" if hour == "*" else f"hour {hour}"
    return f"At {minutes} of {hours}"


def _month(month: str) -> str:
    if month.startswith("*/"):
        return f"every {month[2:]} months"
    names = [_MONTHS[int(m)] if m.isdigit() and 0 < int(m) <= 12 else m for m in month.split(",")]
    return "in " + _join(names)


def _weekdays(day_of_week: str) -> str:
    def name(token: str) -> str:
        return _DAYS[int(token)] if token.isdigit() and int(token) < len(_DAYS) else token

    if "-" in day_of_week and "," not in day_of_week and "/" not in day_of_week:
        first, _, last = day_of_week.partition("-")
        return f"{name(first)} through {name(last)}"
    return "on " + _join([name(token) for token in day_of_week.split(",")])


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
