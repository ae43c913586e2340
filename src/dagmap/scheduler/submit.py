"""The queueing phase of a step: load a bounded window of scheduled instances, choose within the limits
(``queueing.select_to_queue``), move the chosen ones to queued in bulk and build their workloads.

Limits already reached (full pools, capped runs and tasks) are filtered out in SQL, so that they cannot
starve the instances behind them in the window.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from dagmap.executors.base import Workload
from dagmap.model.keys import TaskInstanceKey
from dagmap.model.spec import DagSpec
from dagmap.scheduler.queueing import Candidate, Limits, Occupancy, TaskLimits, select_to_queue
from dagmap.store.queries import Session, pools, scheduling, task_instances

log = logging.getLogger(__name__)
RunKey = tuple[str, str]


@dataclass
class Submission:
    workloads: list[Workload] = field(default_factory=list)
    unknown_pools: frozenset[str] = frozenset()
    oversized: frozenset[TaskInstanceKey] = frozenset()


@dataclass
class Submitter:
    """Remembers pools found missing, so that they are left out of the window (until they are created)."""

    name: str
    max_per_step: int = 512
    enforce_limits: bool = True
    """False for ``dags test``: instances run one at a time in-process, so concurrency limits and pools
    cannot be exceeded and only slow the run down (Airflow's ``dag.test()`` ignores them too)."""
    unknown_pools: set[str] = field(default_factory=set)
    _warned: set[object] = field(default_factory=set)

    def submit(
        self,
        session: Session,
        runs: Collection[RunKey],
        specs: Mapping[str, DagSpec],
        *,
        executor_slots: int,
        now: datetime,
    ) -> Submission:
        if not runs or executor_slots <= 0:
            return Submission(unknown_pools=frozenset(self.unknown_pools))
        slots = pools.pool_slots(session)
        self.unknown_pools -= set(slots)
        dag_ids = {dag_id for dag_id, _ in runs}
        occupancy = Occupancy.from_rows(scheduling.occupancy(session, dag_ids))
        limits = Limits(
            executor_slots=executor_slots,
            pool_open_slots={name: s.open for name, s in slots.items()},
            pool_total_slots={name: s.total for name, s in slots.items()},
            dag_max_active_tasks={dag_id: spec.max_active_tasks for dag_id, spec in specs.items()},
            task_limits={
                (dag_id, task.task_id): TaskLimits(task.max_active_tis_per_dag, task.max_active_tis_per_dagrun)
                for dag_id, spec in specs.items()
                for task in spec.tasks
                if task.max_active_tis_per_dag is not None or task.max_active_tis_per_dagrun is not None
            },
        )
        if not self.enforce_limits:
            unlimited = {name: sys.maxsize for name in slots}
            limits = Limits(executor_slots=executor_slots, pool_open_slots=unlimited)
        capped = _capped(limits, occupancy)
        rows = scheduling.scheduled_candidates(
            session,
            runs,
            limit=min(executor_slots, self.max_per_step),
            exclude_pools={name for name, open_ in limits.pool_open_slots.items() if open_ <= 0} | self.unknown_pools,
            exclude_runs=capped.runs,
            exclude_tasks=capped.tasks,
            exclude_run_tasks=capped.run_tasks,
        )
        candidates = [
            Candidate(
                TaskInstanceKey(r.dag_id, r.run_id, r.task_id, r.map_index),
                r.pool,
                r.pool_slots,
                r.priority_weight,
                r.logical_date,
            )
            for r in rows
        ]
        selection = select_to_queue(candidates, limits, occupancy)
        self._warn(selection.unknown_pools, selection.oversized, limits)
        self.unknown_pools |= selection.unknown_pools
        moved = task_instances.queue_instances(session, [c.key for c in selection.chosen], now=now, queued_by=self.name)
        by_key = {q.key: q for q in moved}
        workloads = []
        for candidate in selection.chosen:
            queued = by_key.get(candidate.key)
            if queued is None:
                continue
            spec = specs[candidate.key.dag_id]
            task = spec.tasks_by_id.get(candidate.key.task_id)
            workloads.append(
                Workload(
                    key=candidate.key,
                    try_number=queued.try_number + 1,
                    dag_fileloc=spec.fileloc,
                    pool=queued.pool,
                    queue=queued.queue,
                    priority_weight=queued.priority_weight,
                    execution_timeout=task.execution_timeout if task is not None else None,
                )
            )
        return Submission(workloads, frozenset(self.unknown_pools), selection.oversized)

    def _warn(self, unknown: frozenset[str], oversized: frozenset[TaskInstanceKey], limits: Limits) -> None:
        for pool in sorted(unknown - self._warned):
            self._warned.add(pool)
            log.warning("pool %r does not exist: its task instances stay scheduled until it is created", pool)
        for key in sorted(oversized - self._warned):
            self._warned.add(key)
            log.warning("%s needs more slots than its pool has in total: it cannot run until the pool grows", key)


@dataclass(frozen=True)
class _Capped:
    runs: set[tuple[str, str]]
    tasks: set[tuple[str, str]]
    run_tasks: set[tuple[str, str, str]]


def _capped(limits: Limits, occupancy: Occupancy) -> _Capped:
    """Runs and tasks at their concurrency limits now: left out of the candidate query."""
    capped = _Capped(set(), set(), set())
    for run, number in occupancy.per_run.items():
        cap = limits.dag_max_active_tasks.get(run[0])
        if cap is not None and number >= cap:
            capped.runs.add(run)
    for (dag_id, task_id), task_limits in limits.task_limits.items():
        cap = task_limits.max_active_tis_per_dag
        if cap is not None and occupancy.per_task.get((dag_id, task_id), 0) >= cap:
            capped.tasks.add((dag_id, task_id))
    for (dag_id, run_id, task_id), number in occupancy.per_run_task.items():
        cap = limits.task_limits.get((dag_id, task_id), TaskLimits()).max_active_tis_per_dagrun
        if cap is not None and number >= cap:
            capped.run_tasks.add((dag_id, run_id, task_id))
    return capped
