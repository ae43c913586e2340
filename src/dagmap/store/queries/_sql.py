"""Small SQL building blocks shared by the query modules (state filters, map index ranges, run scopes)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, false, or_, select, true, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState
from dagmap.store.orm import TaskInstanceRow as TI

T = TypeVar("T")

RANGES_PER_STATEMENT = 200
"""Map index ranges OR-ed into one statement; more ranges take more statements (rare: fragmented sets)."""

KEYS_PER_STATEMENT = 500
"""Task instance keys (4 bound values each) per statement, well under SQLite's variable limit."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def state_in(column: Any, states: Iterable[TaskInstanceState | None]) -> ColumnElement[bool]:
    """``column IN (...) OR column IS NULL`` for a set of states in which ``None`` means "no status"."""
    states = list(states)
    values = sorted({state.value for state in states if state is not None})
    clauses: list[ColumnElement[bool]] = []
    if values:
        clauses.append(column.in_(values))
    if any(state is None for state in states):
        clauses.append(column.is_(None))
    return or_(*clauses) if clauses else false()


def key_filter(key: TaskInstanceKey) -> ColumnElement[bool]:
    return and_(
        TI.dag_id == key.dag_id,
        TI.run_id == key.run_id,
        TI.task_id == key.task_id,
        TI.map_index == key.map_index,
    )


def keys_filter(keys: Sequence[TaskInstanceKey]) -> ColumnElement[bool]:
    return tuple_(TI.dag_id, TI.run_id, TI.task_id, TI.map_index).in_([tuple(k) for k in keys])


def runs_filter(runs: Collection[tuple[str, str]], dag_column: Any = TI.dag_id, run_column: Any = TI.run_id) -> Any:
    """Rows of the given ``(dag_id, run_id)`` runs (one run: two equalities, so indexes are used)."""
    runs = list(runs)
    if not runs:
        return false()
    if len(runs) == 1:
        return and_(dag_column == runs[0][0], run_column == runs[0][1])
    return tuple_(dag_column, run_column).in_(runs)


def to_ranges(indexes: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted map indexes as inclusive ``(first, last)`` ranges: ``[0, 1, 2, 5]`` -> ``[(0, 2), (5, 5)]``."""
    ranges: list[tuple[int, int]] = []
    for index in sorted(set(indexes)):
        if ranges and ranges[-1][1] == index - 1:
            ranges[-1] = (ranges[-1][0], index)
        else:
            ranges.append((index, index))
    return ranges


def ranges_filter(ranges: Sequence[tuple[int, int]] | None) -> ColumnElement[bool]:
    """Map index within any of the ranges; ``None`` means every index."""
    if ranges is None:
        return true()
    return or_(*(TI.map_index == a if a == b else TI.map_index.between(a, b) for a, b in ranges))


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_missing(session: Session, row_class: type[Any], key_column: str, rows: Sequence[dict[str, Any]]) -> int:
    """Insert the rows whose ``key_column`` value is not in the table yet; returns how many were inserted.

    One ``INSERT ... ON CONFLICT DO NOTHING`` per row on PostgreSQL and SQLite, so two processes creating the
    same row at once (two DAG processors storing a new DAG) never fail: the second waits for the first and
    leaves its row alone.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    key = getattr(row_class, key_column)
    if dialect not in ("postgresql", "sqlite"):
        known = set(session.scalars(select(key).where(key.in_([r[key_column] for r in rows]))))
        fresh = [r for r in rows if r[key_column] not in known]
        session.add_all(row_class(**r) for r in fresh)
        session.flush()
        return len(fresh)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = 0
    for values in rows:
        statement = insert(row_class).values(**values).on_conflict_do_nothing(index_elements=[key_column])
        # RETURNING, not rowcount: drivers disagree on rowcount after ON CONFLICT DO NOTHING.
        inserted += session.execute(statement.returning(key)).first() is not None
    return inserted
