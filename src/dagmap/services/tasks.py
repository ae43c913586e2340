"""Task instance use-cases shared by the CLI and the API: clear instances (all of a task, some map indexes,
with what depends on them), the instances of a run and their states, the tasks of a DAG.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dagmap.errors import DagmapError, DagRunNotFound, TaskInstanceNotFound, TaskNotFound
from dagmap.model.keys import TaskInstanceKey
from dagmap.model.spec import DagSpec, TaskSpec
from dagmap.scheduler.expansion import expansion_inputs
from dagmap.scheduler.setup_teardown import setups_and_teardowns_to_clear
from dagmap.services.dags import find_run, get_spec
from dagmap.states import FINISHED_STATES, TaskInstanceState, aggregate_state
from dagmap.store.queries import Session, clearing, management, task_instances
from dagmap.xcom.backends import XComStorage

S = TaskInstanceState
CLEARABLE: frozenset[TaskInstanceState] = (FINISHED_STATES - {S.REMOVED}) | {S.UP_FOR_RETRY, S.UP_FOR_RESCHEDULE}
"""States a clear moves back to no status. Removed instances stay removed (the scheduler restores them when an
expansion grows again); instances in flight are left to end their try."""
ONLY_FAILED: frozenset[TaskInstanceState] = frozenset({S.FAILED, S.UPSTREAM_FAILED})
IN_FLIGHT: frozenset[TaskInstanceState | None] = frozenset({S.SCHEDULED, S.QUEUED, S.RUNNING, S.DEFERRED, S.RESTARTING})

Target = str | tuple[str, int] | list[Any]
"""A task id (every instance) or ``(task_id, map_index)`` (one instance; a JSON ``[task_id, map_index]``
works too), as in Airflow's clearTaskInstances."""
Indexes = frozenset[int] | None
"""Map indexes of a task to clear; None: every instance."""


# --- clearing -------------------------------------------------------------------------------------------


@dataclass
class ClearResult:
    dag_id: str
    instances: list[TaskInstanceKey] = field(default_factory=list)
    """Instances cleared (for a dry run: that would be cleared), by run, task and map index."""
    requeued_runs: list[str] = field(default_factory=list)
    """Finished runs that went back to queued."""
    in_flight: int = 0
    """Selected instances left alone because they are scheduled, queued or running."""
    dry_run: bool = False

    def by_task(self) -> dict[tuple[str, str], list[int]]:
        """``{(run_id, task_id): [map indexes]}``."""
        found: dict[tuple[str, str], list[int]] = {}
        for key in self.instances:
            found.setdefault((key.run_id, key.task_id), []).append(key.map_index)
        return found


def same_instance_downstream(upstream: TaskSpec, downstream: TaskSpec) -> bool:
    """Instance i of ``downstream`` depends only on instance i of ``upstream``: both in the same mapped
    task group, neither mapped again on its own."""
    return bool(
        upstream.mapped_group_ids
        and upstream.mapped_group_ids == downstream.mapped_group_ids
        and upstream.expand is None
        and downstream.expand is None
    )


def selection_with_downstream(
    spec: DagSpec, roots: Mapping[str, Indexes], *, include_downstream: bool = True
) -> dict[str, Indexes]:
    """The tasks (and map indexes) to clear for ``roots``: downstream tasks in the same mapped group get the
    same indexes, other downstream tasks every instance. A mapped task whose expansion reads a selected task
    gets every instance, so that the scheduler expands it again (shrinking marks the surplus removed)."""
    selected: dict[str, Indexes] = dict(roots)
    for task in spec.tasks:  # topological order: a task's selection is final before its downstream
        if task.task_id not in selected:
            continue
        if task.is_mapped and any(source.task_id in selected for source in expansion_inputs(spec, task)):
            selected[task.task_id] = None
        chosen = selected[task.task_id]
        if not include_downstream:
            continue
        for downstream_id in task.downstream_task_ids:
            downstream = spec.task(downstream_id)
            if chosen is None or not same_instance_downstream(task, downstream):
                selected[downstream_id] = None
            elif downstream_id not in selected:
                selected[downstream_id] = chosen
            elif (current := selected[downstream_id]) is not None:
                selected[downstream_id] = current | chosen
    return selected


def roots_for(spec: DagSpec, targets: Iterable[Target] | None) -> dict[str, Indexes]:
    """``{task_id: indexes}`` for task ids and ``(task_id, map_index)`` pairs; None: every task, whole."""
    if targets is None:
        return {task.task_id: None for task in spec.tasks}
    roots: dict[str, Indexes] = {}
    for target in targets:
        task_id, map_index = _target(spec.dag_id, target)
        task = spec.tasks_by_id.get(task_id)
        if task is None:
            raise TaskNotFound(f"no task {task_id!r} in DAG {spec.dag_id!r}", dag_id=spec.dag_id, task_id=task_id)
        if map_index is None:
            roots[task_id] = None
            continue
        if not task.is_mapped and map_index != -1:
            raise TaskNotFound(
                "is not mapped: it has only map index -1", dag_id=spec.dag_id, task_id=task_id, map_index=map_index
            )
        if task_id not in roots:
            roots[task_id] = frozenset({map_index})
        elif (current := roots[task_id]) is not None:
            roots[task_id] = current | {map_index}
    return roots


def with_setups_and_teardowns(
    spec: DagSpec, roots: Mapping[str, Indexes], *, include_downstream: bool = True
) -> dict[str, Indexes]:
    """``roots`` and, whole, the setups and teardowns Airflow clears with them (``DAG.partial_subset``): for a
    task that is neither, its relevant setups (upstream of it, with a teardown downstream of it or with no
    teardown at all) and their teardowns; for a setup cleared without its downstream, its teardowns."""
    selected = dict(roots)
    if not any(task.is_setup for task in spec.tasks):
        return selected
    for task_id in roots:
        for extra in sorted(setups_and_teardowns_to_clear(spec, task_id, include_downstream=include_downstream)):
            selected.setdefault(extra, None)
    return selected


def _target(dag_id: str, target: Any) -> tuple[str, int | None]:
    """``"task"`` -> ``("task", None)``; ``("task", 3)`` or ``["task", 3]`` (JSON) -> ``("task", 3)``."""
    if isinstance(target, str):
        return target, None
    if isinstance(target, (tuple, list)) and len(target) == 2 and isinstance(target[0], str):
        index = target[1]
        if isinstance(index, int) and not isinstance(index, bool):
            return target[0], index
    raise DagmapError(f"a task to clear is a task id or [task_id, map_index], not {target!r}", dag_id=dag_id)


def clear_task_instances(
    session: Session,
    dag_id: str,
    targets: Iterable[Target] | None = None,
    *,
    run_id: str | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    only_failed: bool = False,
    include_downstream: bool = True,
    dry_run: bool = False,
    storage: XComStorage | None = None,
    dags_folder: Path | None = None,
) -> ClearResult:
    """Clear instances of a DAG's runs (one run, the runs whose logical date is in a range, or all).

    ``targets``: task ids and ``(task_id, map_index)`` pairs (None: every task). Cleared instances get no
    status and their retries again (``max_tries = try_number + retries``); their XCom (object-store files
    included, deleted before the caller commits), task_map and rendered fields go; their finished runs go
    back to queued. With ``only_failed`` only failed and upstream_failed instances (downstream too). A task's
    setups and teardowns are cleared with it (``with_setups_and_teardowns``).
    ``dags_folder``: where to parse the DAG if it is not stored (the CLI; the API passes None).
    """
    spec = get_spec(session, dag_id, dags_folder=dags_folder)
    asked = selection_with_downstream(spec, roots_for(spec, targets), include_downstream=False)
    wanted = with_setups_and_teardowns(spec, asked, include_downstream=include_downstream)
    roots = selection_with_downstream(spec, wanted, include_downstream=False)
    # Setups and teardowns are cleared whole, without their downstream (Airflow's partial_subset): only
    # what was asked for takes its downstream with it.
    extras = {task_id: indexes for task_id, indexes in roots.items() if task_id not in asked}
    run_ids = _run_scope(session, dag_id, run_id, start_date, end_date)
    states = ONLY_FAILED if only_failed else CLEARABLE
    retries = {task.task_id: task.retries for task in spec.tasks}

    def apply(scope: list[str] | None, selected: Mapping[str, Indexes]) -> list[TaskInstanceKey]:
        selections = [clearing.select_task(task_id, indexes) for task_id, indexes in selected.items()]
        if dry_run:
            found = clearing.select_instances(session, dag_id, scope, selections, states)
            return [TaskInstanceKey(dag_id, i.run_id, i.task_id, i.map_index) for i in found]
        cleared = clearing.clear_instances(session, dag_id, scope, selections, states, retries)
        return [TaskInstanceKey(dag_id, *key) for key in cleared]

    result = ClearResult(dag_id, dry_run=dry_run)
    root_selections = [clearing.select_task(task_id, indexes) for task_id, indexes in roots.items()]
    result.in_flight = len(clearing.select_instances(session, dag_id, run_ids, root_selections, IN_FLIGHT))
    instances = dict.fromkeys(apply(run_ids, roots))
    if include_downstream:
        # Downstream only of what was cleared, run by run (runs that cleared the same roots share statements).
        asked_cleared = [key for key in instances if key.task_id in asked]
        for pattern, runs in _cleared_roots(asked, asked_cleared).items():
            downstream = selection_with_downstream(spec, dict(pattern))
            rest = {task_id: indexes for task_id, indexes in downstream.items() if (task_id, indexes) not in pattern}
            if rest:
                instances.update(dict.fromkeys(apply(runs, rest)))
    result.instances = sorted(instances)
    if dry_run or not result.instances:
        return result
    touched = sorted({key.run_id for key in result.instances})
    every = {**selection_with_downstream(spec, asked, include_downstream=include_downstream), **extras}
    selections = [clearing.select_task(task_id, indexes) for task_id, indexes in every.items()]
    if storage is not None:
        _delete_stored_objects(session, storage, dag_id, touched, selections)
    clearing.delete_instance_data(session, dag_id, touched, selections)
    result.requeued_runs = clearing.requeue_runs(session, dag_id, touched)
    return result


def _cleared_roots(
    roots: Mapping[str, Indexes], cleared: Iterable[TaskInstanceKey]
) -> dict[frozenset[tuple[str, Indexes]], list[str]]:
    """Runs grouped by the root instances cleared in them: ``{((task_id, indexes), ...): [run_id, ...]}``;
    a root selected whole counts whole (None), so that runs clearing the same tasks share one pattern."""
    per_run: dict[str, dict[str, set[int]]] = {}
    for key in cleared:
        per_run.setdefault(key.run_id, {}).setdefault(key.task_id, set()).add(key.map_index)
    patterns: dict[frozenset[tuple[str, Indexes]], list[str]] = {}
    for run_id, tasks in sorted(per_run.items()):
        pattern = frozenset(
            (task_id, None if roots[task_id] is None else frozenset(indexes)) for task_id, indexes in tasks.items()
        )
        patterns.setdefault(pattern, []).append(run_id)
    return patterns


def _run_scope(
    session: Session, dag_id: str, run_id: str | None, start: datetime | None, end: datetime | None
) -> list[str] | None:
    if run_id is not None:
        if not management.existing_run_ids(session, dag_id, [run_id]):
            raise DagRunNotFound(f"no run {run_id!r}", dag_id=dag_id)
        return [run_id]
    if start is None and end is None:
        return None
    return [found for found, _ in management.runs_between(session, dag_id, start, end)]


def _delete_stored_objects(
    session: Session,
    storage: XComStorage,
    dag_id: str,
    run_ids: list[str],
    selections: Sequence[clearing.TaskSelection],
) -> None:
    """Object-store files of the cleared instances' XComs: one delete per instance that has any."""
    holders = {
        (run_id, task_id, map_index)
        for run_id, task_id, map_index, head in clearing.xcom_heads(session, dag_id, run_ids, selections)
        if storage.is_reference(head)
    }
    for run_id, task_id, map_index in sorted(holders):
        storage.delete_task_instance(dag_id, run_id, task_id, map_index)


def match_tasks(spec: DagSpec, pattern: str | None) -> list[str]:
    """Task ids that ``pattern`` matches anywhere (``re.search``, as Airflow's ``--task-regex``)."""
    import re

    if pattern is None:
        return [task.task_id for task in spec.tasks]
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise DagmapError(f"invalid --task-regex {pattern!r}: {error}", dag_id=spec.dag_id) from None
    found = [task.task_id for task in spec.tasks if compiled.search(task.task_id)]
    if not found:
        raise TaskNotFound(f"no task matches {pattern!r}", dag_id=spec.dag_id)
    return found


# --- reading ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstanceState:
    task_id: str
    map_index: int
    state: str | None
    try_number: int
    start_date: datetime | None
    end_date: datetime | None
    rendered_map_index: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "map_index": self.map_index,
            "state": self.state,
            "try_number": self.try_number,
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "end_date": self.end_date.isoformat() if self.end_date else None,
        }


def states_for_dag_run(session: Session, dag_id: str, run: str) -> list[InstanceState]:
    """Every instance of a run (given by run id or logical date), by task id then map index."""
    summary = find_run(session, dag_id, run)
    return [
        InstanceState(
            row.task_id, row.map_index, row.state, row.try_number, row.start_date, row.end_date, row.rendered_map_index
        )
        for row in task_instances.list_for_run(session, dag_id, summary.run_id)
    ]


@dataclass(frozen=True)
class TaskState:
    state: str | None
    """The instance's state; for every instance of a mapped task, the aggregate (the Grid's priority)."""
    counts: dict[str | None, int]


def task_state(session: Session, dag_id: str, task_id: str, run: str, *, map_index: int | None = None) -> TaskState:
    """The state of one instance, or (``map_index`` None) of a task over all its instances."""
    summary = find_run(session, dag_id, run)
    if map_index is not None:
        key = TaskInstanceKey(dag_id, summary.run_id, task_id, map_index)
        row = task_instances.get_task_instance(session, key)
        if row is None:
            raise TaskInstanceNotFound(
                f"no instance in run {summary.run_id!r}", dag_id=dag_id, task_id=task_id, map_index=map_index
            )
        return TaskState(row.state, {row.state: 1})
    counts = management.state_counts_by_task(session, dag_id, summary.run_id, task_id=task_id).get(task_id)
    if not counts:
        raise TaskNotFound(f"has no instance in run {summary.run_id!r}", dag_id=dag_id, task_id=task_id)
    state = aggregate_state(set(counts))
    return TaskState(state.value if state else None, {k.value if k else None: n for k, n in counts.items()})


def list_tasks(session: Session, dag_id: str, *, dags_folder: Path | None = None) -> DagSpec:
    """The DAG's spec (its tasks are topologically sorted)."""
    return get_spec(session, dag_id, dags_folder=dags_folder)


def task_tree(spec: DagSpec) -> list[str]:
    """The tasks as an indented tree from the roots down; a subtree already shown is not repeated."""
    lines: list[str] = []
    shown: set[str] = set()

    def walk(task: TaskSpec, depth: int) -> None:
        mapped = " [mapped]" if task.is_mapped else ""
        again = " (see above)" if task.task_id in shown and task.downstream_task_ids else ""
        lines.append(f"{'    ' * depth}{task.task_id} <{task.operator}>{mapped}{again}")
        if task.task_id in shown:
            return
        shown.add(task.task_id)
        for downstream_id in sorted(task.downstream_task_ids):
            walk(spec.task(downstream_id), depth + 1)

    for task in spec.tasks:
        if not task.upstream_task_ids:
            walk(task, 0)
    return lines
