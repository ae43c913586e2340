"""Choosing instances to queue within executor slots, pools and concurrency limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dagmap.model.keys import TaskInstanceKey
from dagmap.scheduler.queueing import Candidate, Limits, Occupancy, TaskLimits, select_to_queue

DAY = datetime(2026, 1, 1, tzinfo=UTC)


def cand(task: str = "t", index: int = -1, run: str = "r1", **kwargs: object) -> Candidate:
    return Candidate(TaskInstanceKey("d", run, task, index), **kwargs)  # type: ignore[arg-type]


def limits(slots: int = 100, pools: dict[str, int] | None = None, **kwargs: object) -> Limits:
    pools = pools if pools is not None else {"default_pool": 128}
    return Limits(executor_slots=slots, pool_open_slots=pools, pool_total_slots=dict(pools), **kwargs)  # type: ignore[arg-type]


def keys(selection: list[Candidate]) -> list[tuple[str, str, int]]:
    return [(c.key.run_id, c.key.task_id, c.key.map_index) for c in selection]


def test_order_priority_then_logical_date_then_map_index() -> None:
    cands = [
        cand("low", 0, priority_weight=1, logical_date=DAY),
        cand("m", 1, run="old", priority_weight=5, logical_date=DAY - timedelta(days=1)),
        cand("m", 0, run="new", priority_weight=5, logical_date=DAY),
        cand("m", 0, run="old", priority_weight=5, logical_date=DAY - timedelta(days=1)),
        cand("high", 3, priority_weight=9, logical_date=DAY),
    ]
    chosen = select_to_queue(cands, limits(), Occupancy()).chosen
    assert keys(chosen) == [("r1", "high", 3), ("old", "m", 0), ("old", "m", 1), ("new", "m", 0), ("r1", "low", 0)]


def test_executor_slots() -> None:
    chosen = select_to_queue([cand("t", i) for i in range(10)], limits(slots=3), Occupancy()).chosen
    assert keys(chosen) == [("r1", "t", 0), ("r1", "t", 1), ("r1", "t", 2)]
    assert select_to_queue([cand()], limits(slots=0), Occupancy()).chosen == []


def test_pool_slots_and_occupancy() -> None:
    pools = {"p": 5}
    cands = [cand("big", 0, pool="p", pool_slots=3, priority_weight=3), cand("big", 1, pool="p", pool_slots=3)]
    cands += [cand("small", i, pool="p", pool_slots=1) for i in range(5)]
    chosen = select_to_queue(cands, limits(pools=pools), Occupancy()).chosen
    # 3 slots for big[0]; big[1] does not fit; two small ones fill the pool
    assert keys(chosen) == [("r1", "big", 0), ("r1", "small", 0), ("r1", "small", 1)]
    # A pool's open slots come from the caller (running + queued already subtracted)
    assert select_to_queue(cands, limits(pools={"p": 0}), Occupancy()).chosen == []


def test_unknown_pool_and_oversized_instances_stay_scheduled() -> None:
    cands = [cand("a", pool="nope"), cand("b", pool="p", pool_slots=9), cand("c", pool="p")]
    selection = select_to_queue(cands, limits(pools={"p": 4}), Occupancy())
    assert keys(selection.chosen) == [("r1", "c", -1)]
    assert selection.unknown_pools == {"nope"}
    assert {k.task_id for k in selection.oversized} == {"b"}


def test_max_active_tasks_applies_per_run() -> None:
    cands = [cand("t", i, run=r) for r in ("r1", "r2") for i in range(4)]
    occupancy = Occupancy.from_rows([("d", "r1", "other", 1)])
    chosen = select_to_queue(cands, limits(dag_max_active_tasks={"d": 2}), occupancy).chosen
    assert keys(chosen) == [("r1", "t", 0), ("r2", "t", 0), ("r2", "t", 1)]


def test_max_active_tis_per_dag_counts_across_runs() -> None:
    cands = [cand("t", i, run=r) for r in ("r1", "r2") for i in range(3)]
    occupancy = Occupancy.from_rows([("d", "r0", "t", 1)])
    task_limits = {("d", "t"): TaskLimits(max_active_tis_per_dag=3)}
    chosen = select_to_queue(cands, limits(task_limits=task_limits), occupancy).chosen
    assert len(chosen) == 2


def test_max_active_tis_per_dagrun() -> None:
    cands = [cand("t", i, run=r) for r in ("r1", "r2") for i in range(3)] + [cand("u", 0)]
    occupancy = Occupancy.from_rows([("d", "r1", "t", 1)])
    task_limits = {("d", "t"): TaskLimits(max_active_tis_per_dagrun=2)}
    chosen = select_to_queue(cands, limits(task_limits=task_limits), occupancy).chosen
    assert sorted(keys(chosen)) == [("r1", "t", 0), ("r1", "u", 0), ("r2", "t", 0), ("r2", "t", 1)]
