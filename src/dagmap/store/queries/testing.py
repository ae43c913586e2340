"""Queries for ``tasks test``: put one task instance into a startable state, whatever it was before."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dagmap.model.keys import TaskInstanceKey
from dagmap.model.spec import TaskSpec
from dagmap.store.orm import TaskInstanceRow


def make_runnable(session: Session, key: TaskInstanceKey, task: TaskSpec) -> None:
    """Create the instance if the run lacks it (e.g. a map index not yet expanded), else reset it to scheduled."""
    where = key._asdict()
    row = session.get(TaskInstanceRow, (key.dag_id, key.run_id, key.task_id, key.map_index))
    if row is None:
        session.add(
            TaskInstanceRow(
                **where,
                state="scheduled",
                try_number=0,
                max_tries=task.retries,
                pool=task.pool,
                pool_slots=task.pool_slots,
                queue=task.queue,
                priority_weight=task.priority_weight,
                operator=task.operator,
            )
        )
        session.flush()
        return
    session.execute(update(TaskInstanceRow).filter_by(**where).values(state="scheduled", end_date=None))


def try_number(session: Session, key: TaskInstanceKey) -> int:
    return session.scalar(select(TaskInstanceRow.try_number).filter_by(**key._asdict())) or 0
