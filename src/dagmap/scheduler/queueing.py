"""Which scheduled task instances to queue now (pure): executor slots, pools and concurrency limits.

Candidates are taken by priority weight (highest first), then logical date (oldest first), then map index.
An instance takes one executor slot and ``pool_slots`` slots of its pool. ``max_active_tasks`` of a DAG
applies per DAG run (Airflow 3); ``max_active_tis_per_dag`` counts a task's instances across all runs,
``max_active_tis_per_dagrun`` within one run. Queued and running instances occupy slots.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dagmap.model.keys import TaskInstanceKey

_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Candidate:
    key: TaskInstanceKey
    pool: str = "default_pool"
    pool_slots: int = 1
    priority_weight: int = 1
    logical_date: datetime | None = None

    def sort_key(self) -> tuple[int, datetime, int, str, str, str]:
        k = self.key
        return (-self.priority_weight, self.logical_date or _LATEST, k.map_index, k.dag_id, k.run_id, k.task_id)


@dataclass(frozen=True, slots=True)
class TaskLimits:
    max_active_tis_per_dag: int | None = None
    max_active_tis_per_dagrun: int | None = None


@dataclass(frozen=True)
class Occupancy:
    """Instances queued or running now, counted per run, per task (across runs) and per task in a run."""

    per_run: Mapping[tuple[str, str], int] = field(default_factory=dict)
    per_task: Mapping[tuple[str, str], int] = field(default_factory=dict)
    per_run_task: Mapping[tuple[str, str, str], int] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str, int]]) -> Occupancy:
        """From ``(dag_id, run_id, task_id, active instances)`` rows."""
        per_run: Counter[tuple[str, str]] = Counter()
        per_task: Counter[tuple[str, str]] = Counter()
        per_run_task: Counter[tuple[str, str, str]] = Counter()
        for dag_id, run_id, task_id, number in rows:
            per_run[(dag_id, run_id)] += number
            per_task[(dag_id, task_id)] += number
            per_run_task[(dag_id, run_id, task_id)] += number
        return cls(per_run, per_task, per_run_task)


@dataclass(frozen=True)
class Limits:
    executor_slots: int
    pool_open_slots: Mapping[str, int]
    """Open slots of every existing pool; a pool missing here does not exist."""
    pool_total_slots: Mapping[str, int] = field(default_factory=dict)
    dag_max_active_tasks: Mapping[str, int] = field(default_factory=dict)
    task_limits: Mapping[tuple[str, str], TaskLimits] = field(default_factory=dict)


@dataclass(frozen=True)
class Selection:
    chosen: list[Candidate]
    unknown_pools: frozenset[str] = frozenset()
    """Pools that candidates name but that do not exist: those instances stay scheduled."""
    oversized: frozenset[TaskInstanceKey] = frozenset()
    """Instances needing more slots than their pool has at all: they can never run until it grows."""


def select_to_queue(candidates: Iterable[Candidate], limits: Limits, occupancy: Occupancy) -> Selection:
    """The candidates to queue now, in the order they should be handed to the executor."""
    executor_slots = max(limits.executor_slots, 0)
    pool_open = dict(limits.pool_open_slots)
    per_run = Counter(occupancy.per_run)
    per_task = Counter(occupancy.per_task)
    per_run_task = Counter(occupancy.per_run_task)
    chosen: list[Candidate] = []
    unknown: set[str] = set()
    oversized: set[TaskInstanceKey] = set()
    for candidate in sorted(candidates, key=Candidate.sort_key):
        if executor_slots <= 0:
            break
        key = candidate.key
        if candidate.pool not in pool_open:
            unknown.add(candidate.pool)
            continue
        total = limits.pool_total_slots.get(candidate.pool)
        if total is not None and candidate.pool_slots > total:
            oversized.add(key)
            continue
        if candidate.pool_slots > pool_open[candidate.pool]:
            continue
        run = (key.dag_id, key.run_id)
        max_tasks = limits.dag_max_active_tasks.get(key.dag_id)
        if max_tasks is not None and per_run[run] >= max_tasks:
            continue
        task_limits = limits.task_limits.get((key.dag_id, key.task_id), TaskLimits())
        per_dag_cap = task_limits.max_active_tis_per_dag
        if per_dag_cap is not None and per_task[(key.dag_id, key.task_id)] >= per_dag_cap:
            continue
        per_run_cap = task_limits.max_active_tis_per_dagrun
        if per_run_cap is not None and per_run_task[(key.dag_id, key.run_id, key.task_id)] >= per_run_cap:
            continue
        chosen.append(candidate)
        executor_slots -= 1
        pool_open[candidate.pool] -= candidate.pool_slots
        per_run[run] += 1
        per_task[(key.dag_id, key.task_id)] += 1
        per_run_task[(key.dag_id, key.run_id, key.task_id)] += 1
    return Selection(chosen, frozenset(unknown), frozenset(oversized))
