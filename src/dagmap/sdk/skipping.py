"""The protocol between branching / short-circuit operators and the runner.

After ``execute`` returns ``result``, the runner calls ``operator.skip_after_execute(result)``. ``None`` means
nothing to skip; a :class:`SkipDecision` lists the tasks of this run to mark ``skipped``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dagmap.errors import DagmapError

if TYPE_CHECKING:
    from dagmap.sdk.abstractoperator import AbstractOperator


@dataclass(frozen=True)
class SkipDecision:
    """Tasks of the current run to mark ``skipped`` (only those not finished yet).

    For a task id in ``same_map_index_task_ids`` (it shares a mapped task group with the deciding task),
    skip only its instance at the deciding instance's map index; for every other id, all of its instances
    (or its placeholder at map index -1 when it is not expanded yet).
    """

    task_ids: frozenset[str]
    same_map_index_task_ids: frozenset[str] = field(default_factory=frozenset)


def _decision(operator: AbstractOperator, task_ids: Iterable[str]) -> SkipDecision:
    skip = frozenset(task_ids)
    group = operator.get_closest_mapped_task_group()
    if group is None or operator.dag is None:
        return SkipDecision(skip)
    same = frozenset(t for t in skip if operator.dag.get_task(t).get_closest_mapped_task_group() is group)
    return SkipDecision(skip, same)


def branch_decision(operator: AbstractOperator, result: Any) -> SkipDecision:
    """Follow the task ids (or task group ids) ``result`` names; skip the other direct downstream tasks."""
    if result is None:
        followed: set[str] = set()
    elif isinstance(result, str):
        followed = {result}
    elif isinstance(result, Iterable) and all(isinstance(item, str) for item in result):
        followed = set(result)
    else:
        raise DagmapError(
            f"a branch must return a task id, a list of task ids or None, not {result!r}", task_id=operator.task_id
        )
    dag = operator.dag
    expanded: set[str] = set()
    unknown: list[str] = []
    for task_id in sorted(followed):
        if dag is not None and task_id in dag.task_group_dict:
            expanded.update(t.task_id for t in dag.task_group_dict[task_id].roots)
        elif dag is not None and task_id in dag.task_dict:
            expanded.add(task_id)
        else:
            unknown.append(task_id)
    if unknown:
        raise DagmapError(
            f"the branch returned unknown task ids: {', '.join(unknown)}", task_id=operator.task_id,
            dag_id=operator.dag_id,
        )  # fmt: skip
    return _decision(operator, operator.downstream_task_ids - expanded)


def short_circuit_decision(
    operator: AbstractOperator, result: Any, *, ignore_downstream_trigger_rules: bool
) -> SkipDecision | None:
    """A truthy ``result`` lets everything run; a falsy one skips all downstream tasks (or only direct ones)."""
    if result:
        return None
    if ignore_downstream_trigger_rules:
        return _decision(operator, operator.get_flat_relative_ids(upstream=False))
    return _decision(operator, operator.downstream_task_ids)
