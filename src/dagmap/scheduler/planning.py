"""Phases (a) and (b) of a step for a set of running runs: expand mapped tasks whose counts became known,
then apply trigger rules. Reads are one grouped query per question for all the runs; writes go per run
and per task/decision. Also finds deadlocked runs (nothing can ever run again).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dagmap.model.spec import DagSpec
from dagmap.scheduler.apply import apply_decisions, apply_mapping
from dagmap.scheduler.evaluation import evaluate_run, per_index_tasks
from dagmap.scheduler.mapping import RunLengths, expanding_tasks, length_lookup, needed_lengths, plan_mapping
from dagmap.scheduler.views import RunKey, RunView, State, build_views
from dagmap.states import TaskInstanceState
from dagmap.store.orm import DagRunRow
from dagmap.store.queries import Session, dag_runs, scheduling, task_instances

PAST_OK = frozenset({TaskInstanceState.SUCCESS, TaskInstanceState.SKIPPED, TaskInstanceState.REMOVED})


@dataclass
class PlanResult:
    changed: int = 0
    stuck: dict[RunKey, tuple[str, ...]] = field(default_factory=dict)
    """Deadlocked runs and the tasks whose instances can never run."""


class RunPlanner:
    def plan(
        self,
        session: Session,
        runs: Sequence[DagRunRow],
        specs: Mapping[str, DagSpec],
        hashes: Mapping[str, str],
        now: datetime,
    ) -> PlanResult:
        result = PlanResult()
        keys = [(r.dag_id, r.run_id) for r in runs]
        views = build_views(keys, scheduling.state_counts(session, keys))
        for run in runs:
            if run.spec_hash != hashes.get(run.dag_id):
                result.changed += self._sync_version(session, run, specs[run.dag_id], views[(run.dag_id, run.run_id)])
                run.spec_hash = hashes.get(run.dag_id)
        lengths = self._lengths(session, runs, specs, views)
        for run in runs:
            key = (run.dag_id, run.run_id)
            spec, view = specs[run.dag_id], views[key]
            changed = apply_mapping(session, spec, key, plan_mapping(spec, view, lengths[key]), now)
            if changed:
                view = build_views([key], scheduling.state_counts(session, [key]))[key]
            lookup = length_lookup(spec, view, lengths[key])
            _, needed = per_index_tasks(spec, view)
            index_states = self._index_states(session, key, needed)
            past_ok = self._past(session, run, spec, view)
            decisions = evaluate_run(spec, view, lookup=lookup, index_states=index_states, past_ok=past_ok)
            changed += apply_decisions(session, key, decisions, now)
            result.changed += changed
            if not changed and not decisions.waiting_on_past and view.unfinished and not view.active:
                result.stuck[key] = tuple(view.waiting_tasks)
        return result

    @staticmethod
    def _sync_version(session: Session, run: DagRunRow, spec: DagSpec, view: RunView) -> int:
        """The DAG changed since the run was created: new tasks get their instances, gone tasks are removed."""
        changed = task_instances.remove_tasks_not_in(session, run.dag_id, run.run_id, set(spec.tasks_by_id))
        rows = []
        for task in spec.tasks:
            if task.task_id not in view.tasks:
                indexes, state = dag_runs.initial_indexes(spec, task)
                rows += task_instances.new_instance_rows(run.dag_id, run.run_id, task, indexes, state=state)
        return changed + task_instances.insert_instances(session, rows)

    @staticmethod
    def _lengths(
        session: Session, runs: Sequence[DagRunRow], specs: Mapping[str, DagSpec], views: Mapping[RunKey, RunView]
    ) -> dict[RunKey, RunLengths]:
        """Lengths every run's expansions need, in two queries for all the runs together."""
        unmapped: set[str] = set()
        mapped: set[str] = set()
        for run in runs:
            spec, view = specs[run.dag_id], views[(run.dag_id, run.run_id)]
            _, per_index = per_index_tasks(spec, view)
            plain, from_mapped = needed_lengths(spec, sorted(set(expanding_tasks(spec, view)) | per_index))
            unmapped |= plain
            mapped |= from_mapped
        keys = [(r.dag_id, r.run_id) for r in runs]
        task_map = scheduling.task_map_lengths(session, keys, unmapped)
        pushed = scheduling.pushed_counts(session, keys, mapped)
        by_run_map: dict[RunKey, dict[str, int]] = defaultdict(dict)
        by_run_pushed: dict[RunKey, dict[tuple[str, str], int]] = defaultdict(dict)
        for (dag_id, run_id, task_id), length in task_map.items():
            by_run_map[(dag_id, run_id)][task_id] = length
        for (dag_id, run_id, task_id, xcom_key), count in pushed.items():
            by_run_pushed[(dag_id, run_id)][(task_id, xcom_key)] = count
        return {key: RunLengths(by_run_map[key], by_run_pushed[key]) for key in keys}

    @staticmethod
    def _index_states(session: Session, run: RunKey, task_ids: set[str]) -> dict[str, list[tuple[int, State]]]:
        found: dict[str, list[tuple[int, State]]] = defaultdict(list)
        for task_id, map_index, state in scheduling.instance_states(session, *run, task_ids):
            found[task_id].append((map_index, state))
        return found

    @staticmethod
    def _past(session: Session, run: DagRunRow, spec: DagSpec, view: RunView) -> dict[str, bool]:
        """depends_on_past: every instance of the task in the previous run (by logical date) succeeded or was
        skipped. The first run, and tasks the previous run did not have, pass."""
        tasks = [t.task_id for t in spec.tasks if t.depends_on_past and view.task(t.task_id).waiting]
        if not tasks:
            return {}
        previous = dag_runs.previous_runs(session, [run]).get((run.dag_id, run.run_id))
        if previous is None:
            return {}
        counts = scheduling.task_state_counts(session, run.dag_id, previous, tasks)
        return {task_id: all(s in PAST_OK for s in counts.get(task_id, {})) for task_id in tasks}
