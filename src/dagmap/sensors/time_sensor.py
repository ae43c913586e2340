"""``TimeSensor`` (``airflow.sensors.time_sensor``): wait until a time of day in the DAG's time zone."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from dagmap.errors import DagDefinitionError
from dagmap.sensors.base import BaseSensorOperator

log = logging.getLogger("dagmap.task")

now = dt.datetime.now
"""The clock (a module attribute so that tests can move it)."""


class TimeSensor(BaseSensorOperator):
    """Done once the time of day, in the DAG's time zone (a naive ``target_time``) or in ``target_time``'s own
    zone, is past ``target_time``. Like Airflow's, it compares with today's date: after midnight it waits again."""

    def __init__(self, *, target_time: dt.time, deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(target_time, dt.time):
            raise DagDefinitionError(
                f"target_time must be a datetime.time, not {type(target_time).__name__}",
                task_id=self.task_id, argument="target_time",
            )  # fmt: skip
        self.target_time = target_time
        self.deferrable = deferrable

    def target_datetime(self) -> dt.datetime:
        zone = self.target_time.tzinfo or (self.dag.timezone if self.dag is not None else dt.UTC)
        today = now(zone).date()
        return dt.datetime.combine(today, self.target_time.replace(tzinfo=None), tzinfo=zone)

    def poke(self, context: dict[str, Any]) -> bool:
        target = self.target_datetime()
        log.info("Checking if the time (%s) has come", target.isoformat())
        return now(dt.UTC) > target
