"""LatestOnlyOperator: lets its downstream tasks run only in the latest scheduled run (and in manual runs)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from dagmap.operators.branch import BaseBranchOperator
from dagmap.states import DagRunType
from dagmap.timetables import DataInterval, TimeRestriction

log = logging.getLogger("dagmap.task")


def latest_window(context: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """The data interval of the run after this one; ``now`` inside it means this run is the latest.

    None when there is no next run (or this run has no data interval): then the run counts as the latest.
    """
    dag_run = context["dag_run"]
    start, end = dag_run.data_interval_start, dag_run.data_interval_end
    if start is None or end is None:
        return None
    restriction = TimeRestriction(earliest=None, latest=None, catchup=True)
    following = context["dag"].timetable.next_dagrun_info(
        last_automated_data_interval=DataInterval(start, end), restriction=restriction
    )
    if following is None:
        return None
    return following.data_interval.start, following.data_interval.end


class LatestOnlyOperator(BaseBranchOperator):
    """Skips its direct downstream tasks unless this run is the latest one: ``now`` falls in the data interval
    of the run that would follow it. Manual (and test) runs always go ahead, as in Airflow."""

    ui_color = "#e9ffdb"

    def choose_branch(self, context: dict[str, Any]) -> list[str]:
        downstream = sorted(self.downstream_task_ids)
        if str(context["dag_run"].run_type) in (DagRunType.MANUAL, DagRunType.TEST):
            log.info("Manually triggered DAG run: allowing execution to proceed.")
            return downstream
        window = latest_window(context)
        if window is None:
            log.info("No later scheduled run: allowing execution to proceed.")
            return downstream
        left, right = window
        now = datetime.now(UTC)
        log.info("Checking latest only with left_window: %s right_window: %s now: %s", left, right, now)
        if not left < now <= right:
            log.info("Not latest execution, skipping downstream.")
            return []
        log.info("Latest, allowing execution to proceed.")
        return downstream
