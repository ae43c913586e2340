"""Whole-DAG checks run when a DAG file is loaded: cycles, param defaults, mapped-group rules; topological order."""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from dagmap.errors import CycleError, DagDefinitionError, MappingDefinitionError, ParamValidationError
from dagmap.trigger_rule import TriggerRule

if TYPE_CHECKING:
    from dagmap.sdk.dag import DAG


def find_cycle(dag: DAG) -> list[str] | None:
    """One cycle as ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(dag.task_dict):
        if start in state:
            continue
        path: list[str] = []
        stack: list[tuple[str, list[str]]] = [(start, sorted(dag.task_dict[start].downstream_task_ids))]
        state[start] = 1
        path.append(start)
        while stack:
            node, children = stack[-1]
            if not children:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            child = children.pop(0)
            if state.get(child) == 1:
                return [*path[path.index(child) :], child]
            if child not in state and child in dag.task_dict:
                state[child] = 1
                path.append(child)
                stack.append((child, sorted(dag.task_dict[child].downstream_task_ids)))
    return None


def topological_order(dag: DAG) -> list[str]:
    """Task ids, upstream first; ties broken by task id. Raises CycleError."""
    indegree = {task_id: 0 for task_id in dag.task_dict}
    for task in dag.task_dict.values():
        for downstream in task.downstream_task_ids:
            if downstream in indegree:
                indegree[downstream] += 1
    ready = [task_id for task_id, count in indegree.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        task_id = heapq.heappop(ready)
        order.append(task_id)
        for downstream in dag.task_dict[task_id].downstream_task_ids:
            if downstream in indegree:
                indegree[downstream] -= 1
                if indegree[downstream] == 0:
                    heapq.heappush(ready, downstream)
    if len(order) != len(indegree):
        _raise_cycle(dag)
    return order


def _raise_cycle(dag: DAG) -> None:
    cycle = find_cycle(dag) or []
    raise CycleError(
        f"the DAG has a cycle: {' -> '.join(cycle)}", dag_id=dag.dag_id, filename=dag.fileloc,
        task_id=cycle[0] if cycle else None,
    )  # fmt: skip


def validate_dag(dag: DAG) -> None:
    if find_cycle(dag) is not None:
        _raise_cycle(dag)
    try:
        dag.params.validate_defaults()
    except ParamValidationError as error:
        raise DagDefinitionError(
            error.message, dag_id=dag.dag_id, filename=dag.fileloc, argument=error.argument
        ) from None
    for task in dag.task_dict.values():
        try:
            task_params = getattr(task, "params", None)
            if task_params is not None:
                task_params.validate_defaults()
        except ParamValidationError as error:
            raise DagDefinitionError(
                error.message, dag_id=dag.dag_id, filename=dag.fileloc, task_id=task.task_id, argument=error.argument
            ) from None
        group = task.get_closest_mapped_task_group()
        if group is None:
            continue
        if getattr(task, "trigger_rule", None) is TriggerRule.ALWAYS and next(
            group.expand_input.iter_references(), None
        ):
            raise MappingDefinitionError(
                "trigger_rule='always' cannot be used in a task group mapped over an upstream result",
                dag_id=dag.dag_id, filename=dag.fileloc, task_id=task.task_id, argument="trigger_rule",
            )  # fmt: skip
