"""Airflow-style DAG run ids: ``scheduled__2022-04-12T00:00:00+00:00``."""

from __future__ import annotations

from datetime import datetime

from dagmap.states import DagRunType
from dagmap.timetables.timezones import to_utc

__all__ = ["dagrun_id_for"]


def dagrun_id_for(run_type: str | DagRunType, logical_date: datetime) -> str:
    """``<run type>__<logical date in UTC, ISO 8601>``; ``run_type`` is a :class:`DagRunType` value."""
    kind = DagRunType(run_type)
    return f"{kind.value}__{to_utc(logical_date).isoformat()}"
