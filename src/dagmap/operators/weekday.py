"""BranchDayOfWeekOperator (``airflow.operators.weekday``): branch on the day of the week."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from dagmap.operators.branch import BaseBranchOperator
from dagmap.utils.weekday import WeekDay


class BranchDayOfWeekOperator(BaseBranchOperator):
    """Follows ``follow_task_ids_if_true`` when today (in the DAG's time zone) — or the run's logical date
    with ``use_task_logical_date=True`` — is one of ``week_day``, else ``follow_task_ids_if_false``."""

    def __init__(
        self,
        *,
        follow_task_ids_if_true: str | Iterable[str],
        follow_task_ids_if_false: str | Iterable[str],
        week_day: str | WeekDay | Iterable[str | WeekDay],
        use_task_logical_date: bool = False,
        use_task_execution_day: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date or use_task_execution_day
        self._week_day_numbers = WeekDay.validate_week_day(week_day)

    def choose_branch(self, context: dict[str, Any]) -> str | Iterable[str]:
        if self.use_task_logical_date:
            now: datetime = context["logical_date"]
        else:
            zone = self.dag.timezone if self.dag is not None else UTC
            now = datetime.now(zone)
        if now.isoweekday() in self._week_day_numbers:
            return self.follow_task_ids_if_true
        return self.follow_task_ids_if_false
