"""BranchDateTimeOperator (``airflow.operators.datetime``): branch on whether now is inside a time window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from dagmap.errors import DagDefinitionError
from dagmap.operators.branch import BaseBranchOperator
from dagmap.timetables import coerce_datetime


def target_times_as_dates(
    base: dt.datetime, lower: dt.datetime | dt.time | None, upper: dt.datetime | dt.time | None, zone: dt.tzinfo
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The window's bounds as UTC datetimes. Times of day are put on ``base``'s date in ``zone`` (so are naive
    datetimes); unless both bounds are datetimes, an upper bound before the lower one moves to the next day
    (a window across midnight)."""

    def as_utc(bound: dt.datetime | dt.time | None) -> dt.datetime | None:
        if bound is None:
            return None
        if isinstance(bound, dt.datetime):
            return coerce_datetime(bound, zone)
        return coerce_datetime(dt.datetime.combine(base.astimezone(zone).date(), bound), zone)

    low, high = as_utc(lower), as_utc(upper)
    both_dates = isinstance(lower, dt.datetime) and isinstance(upper, dt.datetime)
    if not both_dates and low is not None and high is not None and high < low:
        high += dt.timedelta(days=1)
    return low, high


class BranchDateTimeOperator(BaseBranchOperator):
    """Follows ``follow_task_ids_if_true`` when now (or the run's logical date with
    ``use_task_logical_date=True``) lies in ``[target_lower, target_upper]``, else ``follow_task_ids_if_false``.

    Bounds are datetimes or times of day (naive ones are in the DAG's time zone); either may be None.
    """

    def __init__(
        self,
        *,
        follow_task_ids_if_true: str | Iterable[str],
        follow_task_ids_if_false: str | Iterable[str],
        target_lower: dt.datetime | dt.time | None,
        target_upper: dt.datetime | dt.time | None,
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if target_lower is None and target_upper is None:
            raise DagDefinitionError(
                "Both target_upper and target_lower are None: give at least one to compare the date with",
                task_id=self.task_id, argument="target_lower",
            )  # fmt: skip
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.target_lower = target_lower
        self.target_upper = target_upper
        self.use_task_logical_date = use_task_logical_date

    def choose_branch(self, context: dict[str, Any]) -> str | Iterable[str]:
        zone = self.dag.timezone if self.dag is not None else dt.UTC
        now = context["logical_date"] if self.use_task_logical_date else dt.datetime.now(dt.UTC)
        now = coerce_datetime(now, zone)
        lower, upper = target_times_as_dates(now, self.target_lower, self.target_upper, zone)
        if (upper is not None and upper < now) or (lower is not None and lower > now):
            return self.follow_task_ids_if_false
        return self.follow_task_ids_if_true
