"""Pools through the services: create, resize, read with slots in use, list, delete (never default_pool)."""

from __future__ import annotations

import pytest

from dagmap.errors import DagmapError, PoolNotFound
from dagmap.services import pools
from dagmap.states import TaskInstanceState
from dagmap.store import db
from dagmap.store.queries import dag_runs, serialized_dags, task_instances


def test_pool_lifecycle(db_url: str) -> None:
    with db.session_scope() as session:
        created = pools.set_pool(session, "gpu", 2, "two cards")
        assert (created.name, created.slots, created.description, created.occupied, created.open) == (
            "gpu", 2, "two cards", 0, 2,
        )  # fmt: skip
        resized = pools.set_pool(session, "gpu", 4)
        assert (resized.slots, resized.description) == (4, "two cards")  # description kept when not given
    with db.session_scope() as session:
        assert [p.name for p in pools.list_pools(session)] == ["default_pool", "gpu"]
        assert pools.get_pool(session, "gpu").to_json() == {
            "pool": "gpu", "slots": 4, "description": "two cards", "occupied": 0, "open": 4,
        }  # fmt: skip
        pools.delete_pool(session, "gpu")
    with db.session_scope() as session:
        with pytest.raises(PoolNotFound, match="gpu"):
            pools.get_pool(session, "gpu")
        with pytest.raises(PoolNotFound):
            pools.delete_pool(session, "gpu")
        with pytest.raises(DagmapError, match="cannot be deleted"):
            pools.delete_pool(session, "default_pool")
        with pytest.raises(DagmapError, match="-1 slots"):
            pools.set_pool(session, "gpu", -1)
        with pytest.raises(DagmapError, match="invalid pool name"):
            pools.set_pool(session, " ", 1)


def test_occupied_slots_count_queued_and_running_instances(db_url: str, specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("m", expand=specs.literal(3), pool="gpu", pool_slots=2))
    with db.session_scope() as session:
        pools.set_pool(session, "gpu", 5)
        serialized_dags.upsert(session, spec)
        dag_runs.create_dag_run(session, spec, run_id="r")
        task_instances.set_states(session, "d", "r", ["m"], TaskInstanceState.SCHEDULED, from_states=[None])
        task_instances.set_states(
            session, "d", "r", ["m"], TaskInstanceState.QUEUED, from_states=[TaskInstanceState.SCHEDULED],
            ranges=[(0, 1)],
        )  # fmt: skip
    with db.session_scope() as session:
        gpu = pools.get_pool(session, "gpu")
        assert (gpu.occupied, gpu.open) == (4, 1)
        assert {p.name: p.occupied for p in pools.list_pools(session)} == {"default_pool": 0, "gpu": 4}
