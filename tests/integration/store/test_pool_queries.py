"""Pools: create, change, delete, and open slots counted from queued and running instances."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dagmap.errors import DagmapError, PoolNotFound
from dagmap.states import TaskInstanceState
from dagmap.store.queries import dag_runs, pools, task_instances

TI = TaskInstanceState


def test_pool_crud(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert [p.pool for p in pools.list_pools(session)] == ["default_pool"]
        pools.set_pool(session, "gpu", 2, "two cards")
        pools.set_pool(session, "gpu", 3)
        row = pools.get_pool(session, "gpu")
        assert (row.slots, row.description) == (3, "two cards")
        pools.delete_pool(session, "gpu")
        with pytest.raises(PoolNotFound):
            pools.get_pool(session, "gpu")
        with pytest.raises(PoolNotFound):
            pools.delete_pool(session, "gpu")
        with pytest.raises(DagmapError):
            pools.delete_pool(session, "default_pool")
        with pytest.raises(DagmapError):
            pools.set_pool(session, "bad", -1)


def test_open_slots_count_queued_and_running_pool_slots(sessions: sessionmaker[Session], specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag(
        "d",
        specs.task("big", pool="gpu", pool_slots=2, expand=specs.literal(3)),
        specs.task("small", expand=specs.literal(4)),
    )
    with sessions.begin() as session:
        pools.set_pool(session, "gpu", 5)
        pools.set_pool(session, "idle", 1)
        dag_runs.create_dag_run(session, spec, run_id="r1")
        every = [None, *TI]
        task_instances.set_states(session, "d", "r1", ["big"], TI.QUEUED, from_states=every, ranges=[(0, 0)])
        task_instances.set_states(session, "d", "r1", ["big"], TI.RUNNING, from_states=every, ranges=[(1, 1)])
        task_instances.set_states(session, "d", "r1", ["small"], TI.RUNNING, from_states=every, ranges=[(0, 2)])
    with sessions() as session:
        assert pools.open_slots(session) == {"default_pool": 125, "gpu": 1, "idle": 1}
        slots = pools.pool_slots(session)["gpu"]
        assert (slots.total, slots.occupied, slots.open) == (5, 4, 1)
