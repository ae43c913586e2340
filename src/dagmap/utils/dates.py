"""``airflow.utils.dates.days_ago`` (deprecated in Airflow 2, gone in 3), for the DAG files that still use it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def days_ago(n: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0) -> datetime:
    """Today at ``hour:minute:second.microsecond`` UTC, minus ``n`` days (Airflow's definition)."""
    today = datetime.now(UTC).replace(hour=hour, minute=minute, second=second, microsecond=microsecond)
    return today - timedelta(days=n)
