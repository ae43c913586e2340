"""``TimeDeltaSensor`` (``airflow.sensors.time_delta``): wait until ``delta`` after the run's data interval."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from dagmap.errors import DagmapError
from dagmap.sensors.base import BaseSensorOperator

log = logging.getLogger("dagmap.task")


class TimeDeltaSensor(BaseSensorOperator):
    """Done once now is past the run's ``data_interval_end`` (its logical date when it has none) plus
    ``delta``."""

    def __init__(self, *, delta: timedelta, deferrable: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delta = delta
        self.deferrable = deferrable

    def target(self, context: dict[str, Any]) -> datetime:
        base = context.get("data_interval_end") or context.get("logical_date")
        if base is None:
            raise DagmapError("TimeDeltaSensor needs a run with a data interval or a logical date")
        return base + self.delta  # type: ignore[no-any-return]

    def poke(self, context: dict[str, Any]) -> bool:
        target = self.target(context)
        log.info("Checking if the time (%s) has come", target)
        return datetime.now(UTC) > target
