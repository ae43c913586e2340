"""Trigger rules applied to one run (pure): which waiting instances run, are skipped or upstream_failed.

A task's waiting instances share one decision, made from the state counts of all its upstream instances,
except inside mapped task groups: there instance i counts only the matching instances of its upstream in
the same group (and every instance of the others). Decisions come out as ``(task, state, map index
ranges)`` so that the shell writes one UPDATE per task and decision, never one per instance.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dagmap.model.spec import DagSpec, TaskSpec
from dagmap.scheduler.dependencies import Decision, UpstreamCounts, evaluate, setup_constraint
from dagmap.scheduler.expansion import LengthLookup, group_counts, shared_prefix, task_instance_count
from dagmap.scheduler.setup_teardown import indirect_setups
from dagmap.scheduler.views import RunView, State, TaskView
from dagmap.states import TaskInstanceState

TI = TaskInstanceState
TARGET = {Decision.RUN: TI.SCHEDULED, Decision.SKIP: TI.SKIPPED, Decision.UPSTREAM_FAILED: TI.UPSTREAM_FAILED}
IndexStates = Mapping[str, Sequence[tuple[int, State]]]


@dataclass(frozen=True)
class Change:
    task_id: str
    state: TaskInstanceState
    indexes: list[int] | None = None
    """Map indexes of the waiting instances to move; None: every waiting instance of the task."""


@dataclass
class RunDecisions:
    changes: list[Change] = field(default_factory=list)
    waiting_on_past: bool = False
    """Some instance waits for the previous run (depends_on_past): the run is not deadlocked."""


def unexpanded(spec_task: TaskSpec, view: TaskView) -> bool:
    """A mapped task still at its placeholder: it cannot run before its count is known."""
    return spec_task.is_mapped and view.has_placeholder and view.placeholder_state is None and not view.live


def per_index_tasks(spec: DagSpec, view: RunView) -> tuple[set[str], set[str]]:
    """``(tasks decided per map index, tasks whose per-index states that needs)``.

    While no instance of a same-group upstream has finished, every index gets the same decision as the
    whole task would (each index still has unfinished upstream instances): no per-index work then.
    """
    decided: set[str] = set()
    needed: set[str] = set()
    for task in spec.tasks:
        task_view = view.task(task.task_id)
        if not task.mapped_group_ids or not task_view.waiting or unexpanded(task, task_view):
            continue
        shared = [u for u in task.upstream_task_ids if u in spec.tasks_by_id and shared_prefix(task, spec.task(u))]
        if any(view.task(u).done for u in shared):
            decided.add(task.task_id)
            needed.update([task.task_id, *shared])
    return decided, needed


def evaluate_run(
    spec: DagSpec,
    view: RunView,
    *,
    lookup: LengthLookup,
    index_states: IndexStates | None = None,
    past_ok: Mapping[str, bool] | None = None,
) -> RunDecisions:
    index_states = index_states or {}
    past_ok = past_ok or {}
    decisions = RunDecisions()
    per_index, _ = per_index_tasks(spec, view)
    for task in spec.tasks:
        task_view = view.task(task.task_id)
        if not task_view.waiting:
            continue
        constrained = _setup_constraint(spec, view, task)
        if constrained is not None:
            if constrained is not Decision.WAIT:
                decisions.changes.append(Change(task.task_id, TARGET[constrained]))
            continue
        if task.task_id in per_index and task.task_id in index_states:
            changes = _per_index(spec, view, task, lookup, index_states, past_ok, decisions)
            if changes is not None:
                decisions.changes.extend(changes)
                continue
        upstream, setup = upstream_states(spec, view, task.upstream_task_ids)
        decision = _decide(task, UpstreamCounts.from_states(upstream, setup), past_ok, decisions)
        if decision is Decision.RUN and unexpanded(task, task_view):
            decision = Decision.WAIT
        if decision is not Decision.WAIT:
            decisions.changes.append(Change(task.task_id, TARGET[decision]))
    return decisions


def _setup_constraint(spec: DagSpec, view: RunView, task: TaskSpec) -> Decision | None:
    """Airflow's setup constraint over every instance of the task's indirect setups (none for a teardown)."""
    setups = indirect_setups(spec, task.task_id)
    if not setups:
        return None
    states: Counter[State] = Counter()
    for setup_id in setups:
        states.update(view.task(setup_id).states)
    return setup_constraint(states)


def _decide(task: TaskSpec, counts: UpstreamCounts, past_ok: Mapping[str, bool], decisions: RunDecisions) -> Decision:
    decision = evaluate(task.trigger_rule, counts)
    if decision is Decision.RUN and task.depends_on_past and not past_ok.get(task.task_id, True):
        decisions.waiting_on_past = True
        return Decision.WAIT
    return decision


def upstream_states(spec: DagSpec, view: RunView, upstream_ids: Sequence[str]) -> tuple[Counter[State], Counter[State]]:
    """States of every instance of these upstream tasks, and of those that are setup tasks."""
    states: Counter[State] = Counter()
    setup: Counter[State] = Counter()
    for upstream_id in upstream_ids:
        states.update(view.task(upstream_id).states)
        upstream = spec.tasks_by_id.get(upstream_id)
        if upstream is not None and upstream.is_setup:
            setup.update(view.task(upstream_id).states)
    return states, setup


def _per_index(
    spec: DagSpec,
    view: RunView,
    task: TaskSpec,
    lookup: LengthLookup,
    index_states: IndexStates,
    past_ok: Mapping[str, bool],
    decisions: RunDecisions,
) -> list[Change] | None:
    """Per-index decisions, or None when the group counts are not known (then the task-level rule applies)."""
    groups = group_counts(spec, task, lookup)
    count = task_instance_count(spec, task, lookup)
    if count is None or any(group is None for group in groups):
        return None
    flat: list[tuple[str, int, int]] = []  # (upstream, its instances per prefix, this task's per prefix)
    others: list[str] = []
    for upstream_id in task.upstream_task_ids:
        upstream = spec.tasks_by_id.get(upstream_id)
        if upstream is None or unexpanded(upstream, view.task(upstream_id)):
            others.append(upstream_id)
            continue
        shared = shared_prefix(task, upstream)
        upstream_count = task_instance_count(spec, upstream, lookup)
        prefixes = math.prod(g for g in groups[:shared] if g is not None)
        if not shared or upstream_count is None or not prefixes:
            others.append(upstream_id)
            continue
        flat.append((upstream_id, max(upstream_count // prefixes, 1), max(count // prefixes, 1)))
    base, base_setup = upstream_states(spec, view, others)
    by_prefix: dict[str, dict[int, Counter[State]]] = {}
    for upstream_id, per_prefix, _ in flat:
        grouped: dict[int, Counter[State]] = {}
        for index, state in index_states.get(upstream_id, ()):
            if index >= 0:
                grouped.setdefault(index // per_prefix, Counter())[state] += 1
        by_prefix[upstream_id] = grouped
    chosen: dict[TaskInstanceState, list[int]] = {}
    for index, state in index_states[task.task_id]:
        if state is not None or index < 0:
            continue
        states, setup = Counter(base), Counter(base_setup)
        for upstream_id, _, own_per_prefix in flat:
            matching = by_prefix[upstream_id].get(index // own_per_prefix, Counter())
            states.update(matching)
            if spec.task(upstream_id).is_setup:
                setup.update(matching)
        decision = _decide(task, UpstreamCounts.from_states(states, setup), past_ok, decisions)
        if decision is not Decision.WAIT:
            chosen.setdefault(TARGET[decision], []).append(index)
    return [Change(task.task_id, state, indexes) for state, indexes in chosen.items()]
