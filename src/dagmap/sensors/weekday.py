"""``DayOfWeekSensor`` (``airflow.sensors.weekday``): wait until a day of the week."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from dagmap.errors import DagDefinitionError
from dagmap.sensors.base import BaseSensorOperator
from dagmap.utils.weekday import WeekDay

log = logging.getLogger("dagmap.task")

now = dt.datetime.now
"""The clock (a module attribute so that tests can move it)."""


class DayOfWeekSensor(BaseSensorOperator):
    """Done when today (in UTC, as Airflow) — or the run's logical date with ``use_task_logical_date=True`` —
    is one of ``week_day``: a day name (``"Saturday"``), a ``WeekDay``, or several."""

    def __init__(
        self,
        *,
        week_day: str | WeekDay | Iterable[str | WeekDay],
        use_task_logical_date: bool = False,
        use_task_execution_day: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        try:
            self._week_day_numbers = WeekDay.validate_week_day(week_day)
        except (AttributeError, TypeError) as error:
            raise DagDefinitionError(str(error), task_id=self.task_id, argument="week_day") from error
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date or use_task_execution_day

    def poke(self, context: dict[str, Any]) -> bool:
        days = ", ".join(WeekDay(number).name.title() for number in sorted(self._week_day_numbers))
        log.info("Poking until the weekday is in %s", days)
        if self.use_task_logical_date:
            return bool(context["logical_date"].isoweekday() in self._week_day_numbers)
        return now(dt.UTC).isoweekday() in self._week_day_numbers
