"""Expansion of mapped tasks in one run, decided purely from a RunView and the lengths upstreams recorded.

For every mapped task with waiting instances: is any expansion input unavailable (its unmapped upstream
failed or was skipped), is the count still unknown, or which instances must be created, removed or
restored so that exactly ``0..n-1`` are live (n == 0: one skipped instance at -1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from dagmap.model.spec import DagSpec, TaskSpec, XComInput
from dagmap.scheduler.dependencies import Decision, UpstreamCounts, evaluate
from dagmap.scheduler.evaluation import unexpanded, upstream_states
from dagmap.scheduler.expansion import LengthLookup, expansion_inputs, task_instance_count
from dagmap.scheduler.views import RunView
from dagmap.states import TaskInstanceState

TI = TaskInstanceState


class InputStatus(Enum):
    KNOWN = "known"
    UNKNOWN = "unknown"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class RunLengths:
    """What the upstreams of one run recorded: unmapped tasks' task_map lengths, mapped tasks' push counts."""

    task_map: Mapping[str, int] = field(default_factory=dict)
    pushed: Mapping[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reconcile:
    """Make the live instances of ``task_id`` exactly ``0..target-1`` (or one skipped -1 when target is 0)."""

    task_id: str
    target: int
    delete_placeholder: bool = False
    skip_placeholder: bool = False
    insert_skipped_placeholder: bool = False
    remove: tuple[int, int] | None = None
    restore: tuple[int, int] | None = None
    insert: tuple[int, int] | None = None


@dataclass
class MappingPlan:
    reconciles: list[Reconcile] = field(default_factory=list)
    input_failed: list[str] = field(default_factory=list)
    input_skipped: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.reconciles or self.input_failed or self.input_skipped)


def expanding_tasks(spec: DagSpec, view: RunView) -> list[str]:
    """Mapped tasks with waiting instances: the ones whose expansion may have to change."""
    return [t.task_id for t in spec.tasks if t.is_mapped and view.task(t.task_id).waiting]


def needed_lengths(spec: DagSpec, task_ids: list[str]) -> tuple[set[str], set[str]]:
    """Upstreams whose lengths the plan needs: ``(unmapped ones: task_map, mapped ones: push counts)``."""
    unmapped: set[str] = set()
    mapped: set[str] = set()
    for task_id in task_ids:
        for source in expansion_inputs(spec, spec.task(task_id)):
            upstream = spec.tasks_by_id.get(source.task_id)
            (mapped if upstream is not None and upstream.is_mapped else unmapped).add(source.task_id)
    return unmapped, mapped


def input_status(spec: DagSpec, view: RunView, lengths: RunLengths, source: XComInput) -> tuple[InputStatus, int]:
    upstream = spec.tasks_by_id.get(source.task_id)
    if upstream is None:
        return InputStatus.FAILED, 0
    task = view.task(source.task_id)
    if upstream.is_mapped:
        if task.unfinished or not task.states:
            return InputStatus.UNKNOWN, 0
        return InputStatus.KNOWN, lengths.pushed.get((source.task_id, source.key), 0)
    state = task.placeholder_state if task.has_placeholder else None
    if state is TI.SUCCESS:
        length = lengths.task_map.get(source.task_id)
        # Succeeded without recording a length: the runner refused the value or never pushed it.
        return (InputStatus.KNOWN, length) if length is not None else (InputStatus.FAILED, 0)
    if state in (TI.FAILED, TI.UPSTREAM_FAILED):
        return InputStatus.FAILED, 0
    if state in (TI.SKIPPED, TI.REMOVED):
        return InputStatus.SKIPPED, 0
    return InputStatus.UNKNOWN, 0


def length_lookup(spec: DagSpec, view: RunView, lengths: RunLengths) -> LengthLookup:
    def lookup(source: XComInput) -> int | None:
        status, length = input_status(spec, view, lengths, source)
        return length if status is InputStatus.KNOWN else None

    return lookup


def plan_mapping(spec: DagSpec, view: RunView, lengths: RunLengths) -> MappingPlan:
    plan = MappingPlan()
    lookup = length_lookup(spec, view, lengths)
    for task_id in expanding_tasks(spec, view):
        task = spec.task(task_id)
        statuses = {input_status(spec, view, lengths, source)[0] for source in expansion_inputs(spec, task)}
        if InputStatus.FAILED in statuses:
            plan.input_failed.append(task_id)
            continue
        if InputStatus.SKIPPED in statuses:
            plan.input_skipped.append(task_id)
            continue
        target = task_instance_count(spec, task, lookup)
        if target is None:
            continue
        if not task.mapped_group_ids and unexpanded(task, view.task(task_id)) and not _may_run(spec, view, task):
            # As in Airflow, a placeholder expands only once its trigger rule lets it run; a skipped or
            # upstream_failed verdict then applies to the one placeholder, not to n instances.
            continue
        reconcile = _reconcile(task_id, target, view)
        if reconcile is not None:
            plan.reconciles.append(reconcile)
    return plan


def _may_run(spec: DagSpec, view: RunView, task: TaskSpec) -> bool:
    upstream, setup = upstream_states(spec, view, task.upstream_task_ids)
    return evaluate(task.trigger_rule, UpstreamCounts.from_states(upstream, setup)) is Decision.RUN


def _reconcile(task_id: str, target: int, view: RunView) -> Reconcile | None:
    task = view.task(task_id)
    top = task.max_index
    live = task.live
    placeholder = task.placeholder_state if task.has_placeholder else "absent"
    if target == 0:
        skip = placeholder is None
        add_skipped = placeholder == "absent"
        remove_all = (0, top) if live else None
        if not (skip or add_skipped or remove_all):
            return None
        return Reconcile(task_id, 0, skip_placeholder=skip, insert_skipped_placeholder=add_skipped, remove=remove_all)
    delete = placeholder != "absent"
    if not delete and live == target and task.live_max_index == target - 1:
        return None
    remove = (target, top) if top >= target and task.live_max_index >= target else None
    restore_end = min(top, target - 1)
    restore = (task.live_max_index + 1, restore_end) if restore_end > task.live_max_index else None
    insert = (top + 1, target - 1) if target - 1 > top else None
    return Reconcile(task_id, target, delete_placeholder=delete, remove=remove, restore=restore, insert=insert)
