"""XCom rows: push, read one, read a mapped task's values in map-index order (in batches), delete.

Values are stored as text produced by ``dagmap.xcom`` (serialized JSON or an object-store reference); this
module never interprets them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from dagmap.store.orm import XComRow

RETURN_VALUE = "return_value"


def push(
    session: Session,
    *,
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int,
    items: Iterable[tuple[str, str]],
) -> None:
    """Store ``(key, stored_text)`` pairs for one task instance, replacing earlier values of those keys."""
    rows = [
        {
            "dag_id": dag_id,
            "run_id": run_id,
            "task_id": task_id,
            "map_index": map_index,
            "key": key,
            "value": value,
            "timestamp": datetime.now(UTC),
        }
        for key, value in items
    ]
    if not rows:
        return
    session.execute(
        delete(XComRow).where(
            XComRow.dag_id == dag_id,
            XComRow.run_id == run_id,
            XComRow.task_id == task_id,
            XComRow.map_index == map_index,
            XComRow.key.in_([row["key"] for row in rows]),
        )
    )
    session.execute(insert(XComRow), rows)


def get(session: Session, *, dag_id: str, run_id: str, task_id: str, map_index: int, key: str) -> str | None:
    return session.scalar(
        select(XComRow.value).where(
            XComRow.dag_id == dag_id,
            XComRow.run_id == run_id,
            XComRow.task_id == task_id,
            XComRow.map_index == map_index,
            XComRow.key == key,
        )
    )


def count_mapped(session: Session, *, dag_id: str, run_id: str, task_id: str, key: str = RETURN_VALUE) -> int:
    """How many instances of a mapped task pushed ``key`` (the length of a reducer's sequence)."""
    return (
        session.scalar(
            select(func.count()).where(
                XComRow.dag_id == dag_id,
                XComRow.run_id == run_id,
                XComRow.task_id == task_id,
                XComRow.key == key,
                XComRow.map_index >= 0,
            )
        )
        or 0
    )


def mapped_batch(
    session: Session, *, dag_id: str, run_id: str, task_id: str, key: str, offset: int, limit: int
) -> Sequence[str]:
    """Stored values of a mapped task's instances, in map-index order, positions [offset, offset+limit)."""
    return session.scalars(
        select(XComRow.value)
        .where(
            XComRow.dag_id == dag_id,
            XComRow.run_id == run_id,
            XComRow.task_id == task_id,
            XComRow.key == key,
            XComRow.map_index >= 0,
        )
        .order_by(XComRow.map_index)
        .offset(offset)
        .limit(limit)
    ).all()


def list_for_instance(session: Session, *, dag_id: str, run_id: str, task_id: str, map_index: int) -> Sequence[XComRow]:
    return session.scalars(
        select(XComRow)
        .where(
            XComRow.dag_id == dag_id,
            XComRow.run_id == run_id,
            XComRow.task_id == task_id,
            XComRow.map_index == map_index,
        )
        .order_by(XComRow.key)
    ).all()


def delete_for_instance(session: Session, *, dag_id: str, run_id: str, task_id: str, map_index: int) -> None:
    """A new try starts with no XCom from the previous one (as in Airflow)."""
    session.execute(
        delete(XComRow).where(
            XComRow.dag_id == dag_id,
            XComRow.run_id == run_id,
            XComRow.task_id == task_id,
            XComRow.map_index == map_index,
        )
    )


def return_values_for_run(session: Session, *, dag_id: str, run_id: str) -> dict[tuple[str, int], str]:
    """Every instance's stored ``return_value`` in one query (for ``dags test --json``)."""
    rows = session.execute(
        select(XComRow.task_id, XComRow.map_index, XComRow.value).where(
            XComRow.dag_id == dag_id, XComRow.run_id == run_id, XComRow.key == RETURN_VALUE
        )
    )
    return {(task_id, map_index): value for task_id, map_index, value in rows}
