"""Pools: named sets of slots that limit how many task instances run at once (``slot_pool`` rows)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dagmap.errors import DagmapError, PoolNotFound
from dagmap.states import TaskInstanceState
from dagmap.store.orm import PoolRow
from dagmap.store.orm import TaskInstanceRow as TI

DEFAULT_POOL = "default_pool"
OCCUPYING: tuple[str, ...] = (TaskInstanceState.QUEUED.value, TaskInstanceState.RUNNING.value)
"""Instances in these states hold their pool slots."""


@dataclass(frozen=True, slots=True)
class PoolSlots:
    pool: str
    total: int
    occupied: int

    @property
    def open(self) -> int:
        return max(self.total - self.occupied, 0)


def get_pool(session: Session, name: str) -> PoolRow:
    row = session.execute(select(PoolRow).where(PoolRow.pool == name)).scalar_one_or_none()
    if row is None:
        raise PoolNotFound(f"no pool {name!r}")
    return row


def list_pools(session: Session) -> list[PoolRow]:
    return list(session.execute(select(PoolRow).order_by(PoolRow.pool)).scalars())


def set_pool(session: Session, name: str, slots: int, description: str | None = None) -> PoolRow:
    """Create the pool or change its slots (and description, when given)."""
    if slots < 0:
        raise DagmapError(f"a pool cannot have {slots} slots", argument="slots")
    row = session.execute(select(PoolRow).where(PoolRow.pool == name)).scalar_one_or_none()
    if row is None:
        row = PoolRow(pool=name, slots=slots, description=description)
        session.add(row)
    else:
        row.slots = slots
        if description is not None:
            row.description = description
    session.flush()
    return row


def delete_pool(session: Session, name: str) -> None:
    if name == DEFAULT_POOL:
        raise DagmapError("the default pool cannot be deleted", argument="pool")
    result = session.execute(delete(PoolRow).where(PoolRow.pool == name))
    if not result.rowcount:  # type: ignore[attr-defined]
        raise PoolNotFound(f"no pool {name!r}")


def pool_slots(session: Session) -> dict[str, PoolSlots]:
    """Every pool with its total and occupied slots (queued + running instances' pool_slots): one query."""
    occupied = (
        select(TI.pool.label("pool"), func.sum(TI.pool_slots).label("used"))
        .where(TI.state.in_(OCCUPYING))
        .group_by(TI.pool)
        .subquery()
    )
    rows = session.execute(
        select(PoolRow.pool, PoolRow.slots, func.coalesce(occupied.c.used, 0)).outerjoin(
            occupied, occupied.c.pool == PoolRow.pool
        )
    )
    return {name: PoolSlots(name, int(total), int(used)) for name, total, used in rows}


def open_slots(session: Session) -> dict[str, int]:
    """Open slots per pool (one grouped query)."""
    return {name: slots.open for name, slots in pool_slots(session).items()}
