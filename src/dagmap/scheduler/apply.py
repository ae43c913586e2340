"""Writes a step's decisions for one run in bulk: expansions (one delete + one insert for all the tasks that
expand) and trigger-rule decisions (one UPDATE per decision, or per task and decision inside mapped groups).
Every state change goes through ``store.queries.task_instances``; returns how many rows changed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from dagmap.model.spec import DagSpec
from dagmap.scheduler.evaluation import RunDecisions
from dagmap.scheduler.mapping import MappingPlan
from dagmap.states import TaskInstanceState
from dagmap.store.queries import Session, task_instances
from dagmap.store.queries._sql import to_ranges

TI = TaskInstanceState
EVERY_STATE: tuple[TaskInstanceState | None, ...] = (None, *TaskInstanceState)
WAITING: tuple[TaskInstanceState | None, ...] = (None,)


def apply_mapping(session: Session, spec: DagSpec, run: tuple[str, str], plan: MappingPlan, now: datetime) -> int:
    dag_id, run_id = run
    changed = task_instances.set_states(
        session, dag_id, run_id, plan.input_failed, TI.UPSTREAM_FAILED, from_states=WAITING, now=now
    )
    changed += task_instances.set_states(
        session, dag_id, run_id, plan.input_skipped, TI.SKIPPED, from_states=WAITING, now=now
    )
    deleted = [r.task_id for r in plan.reconciles if r.delete_placeholder]
    changed += task_instances.delete_placeholders(session, dag_id, run_id, deleted)
    to_skip = [r.task_id for r in plan.reconciles if r.skip_placeholder]
    changed += task_instances.set_states(
        session, dag_id, run_id, to_skip, TI.SKIPPED, from_states=WAITING, ranges=[(-1, -1)], now=now
    )
    rows: list[dict[str, Any]] = []
    for reconcile in plan.reconciles:
        task = spec.task(reconcile.task_id)
        one = [reconcile.task_id]
        if reconcile.remove is not None:
            changed += task_instances.set_states(
                session, dag_id, run_id, one, TI.REMOVED, from_states=EVERY_STATE, ranges=[reconcile.remove], now=now
            )
        if reconcile.restore is not None:
            changed += task_instances.set_states(
                session, dag_id, run_id, one, None, from_states=[TI.REMOVED], ranges=[reconcile.restore], now=now
            )
        if reconcile.insert_skipped_placeholder:
            rows += task_instances.new_instance_rows(dag_id, run_id, task, [-1], state=TI.SKIPPED, now=now)
        if reconcile.insert is not None:
            first, last = reconcile.insert
            rows += task_instances.new_instance_rows(dag_id, run_id, task, range(first, last + 1), now=now)
    changed += task_instances.insert_instances(session, rows)
    return changed


def apply_decisions(session: Session, run: tuple[str, str], decisions: RunDecisions, now: datetime) -> int:
    dag_id, run_id = run
    whole: dict[TaskInstanceState, list[str]] = defaultdict(list)
    changed = 0
    for change in decisions.changes:
        if change.indexes is None:
            whole[change.state].append(change.task_id)
            continue
        changed += task_instances.set_states(
            session,
            dag_id,
            run_id,
            [change.task_id],
            change.state,
            from_states=WAITING,
            ranges=to_ranges(change.indexes),
            now=now,
        )
    for state, task_ids in whole.items():
        changed += task_instances.set_states(session, dag_id, run_id, task_ids, state, from_states=WAITING, now=now)
    return changed
