"""Pool use-cases shared by the CLI and the API: create or resize, read, list (with slots in use), delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dagmap.errors import DagmapError
from dagmap.store.queries import Session, pools

DEFAULT_POOL = pools.DEFAULT_POOL
MAX_NAME = 256


@dataclass(frozen=True)
class PoolInfo:
    name: str
    slots: int
    description: str | None
    occupied: int = 0
    """Slots held by queued and running instances."""

    @property
    def open(self) -> int:
        return max(self.slots - self.occupied, 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "pool": self.name,
            "slots": self.slots,
            "description": self.description,
            "occupied": self.occupied,
            "open": self.open,
        }


def set_pool(session: Session, name: str, slots: int, description: str | None = None) -> PoolInfo:
    """Create the pool or change its slots (and its description when one is given)."""
    if not name.strip() or len(name) > MAX_NAME:
        raise DagmapError(f"invalid pool name {name!r}: 1 to {MAX_NAME} characters, not blank", argument="pool")
    if slots < 0:
        raise DagmapError(f"pool {name!r} cannot have {slots} slots (use 0 or more)", argument="slots")
    row = pools.set_pool(session, name, slots, description)
    return get_pool(session, row.pool)


def get_pool(session: Session, name: str) -> PoolInfo:
    row = pools.get_pool(session, name)
    usage = pools.pool_slots(session).get(name)
    return PoolInfo(row.pool, row.slots, row.description, usage.occupied if usage else 0)


def list_pools(session: Session) -> list[PoolInfo]:
    usage = pools.pool_slots(session)
    return [
        PoolInfo(row.pool, row.slots, row.description, usage[row.pool].occupied if row.pool in usage else 0)
        for row in pools.list_pools(session)
    ]


def delete_pool(session: Session, name: str) -> None:
    """Delete a pool (never the default pool). Instances that name it wait until it exists again."""
    if name == DEFAULT_POOL:
        raise DagmapError(f"the pool {DEFAULT_POOL!r} cannot be deleted (resize it instead)", argument="pool")
    pools.delete_pool(session, name)
