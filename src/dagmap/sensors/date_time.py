"""``DateTimeSensor`` (``airflow.sensors.date_time``): wait until a (templated) date and time."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from dagmap.errors import DagDefinitionError
from dagmap.sensors.base import BaseSensorOperator
from dagmap.timetables import coerce_datetime

log = logging.getLogger("dagmap.task")


class DateTimeSensor(BaseSensorOperator):
    """Done once now is past ``target_time``: a datetime or an ISO 8601 text (templated, e.g.
    ``"{{ data_interval_end.add(hours=1) }}"``); a naive one is in the DAG's time zone."""

    template_fields: Sequence[str] = ("target_time",)

    def __init__(self, *, target_time: str | dt.datetime, deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(target_time, dt.datetime):
            target_time = target_time.isoformat()
        elif not isinstance(target_time, str):
            raise DagDefinitionError(
                f"target_time must be a datetime or a string, not {type(target_time).__name__}",
                task_id=self.task_id, argument="target_time",
            )  # fmt: skip
        self.target_time = target_time
        self.deferrable = deferrable

    def poke(self, context: dict[str, Any]) -> bool:
        log.info("Checking if the time (%s) has come", self.target_time)
        zone = self.dag.timezone if self.dag is not None else dt.UTC
        target = coerce_datetime(dt.datetime.fromisoformat(str(self.target_time)), zone)
        return dt.datetime.now(dt.UTC) > target
