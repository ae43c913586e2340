"""Rendered template fields, stored per task instance (map index included)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from dagmap.store.orm import RenderedFieldsRow


def save(session: Session, *, dag_id: str, run_id: str, task_id: str, map_index: int, fields: dict[str, Any]) -> None:
    key = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index}
    session.execute(delete(RenderedFieldsRow).filter_by(**key))
    session.execute(insert(RenderedFieldsRow), [{**key, "rendered_fields": fields}])


def get(session: Session, *, dag_id: str, run_id: str, task_id: str, map_index: int) -> dict[str, Any] | None:
    return session.scalar(
        select(RenderedFieldsRow.rendered_fields).filter_by(
            dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index
        )
    )
