"""``>>`` / ``<<`` between tasks, XComArgs, task groups and edge labels; ``chain`` and friends.

Every edge is made by :func:`link`, which keeps both tasks in the same DAG and records edge labels.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from dagmap.errors import DagDefinitionError

if TYPE_CHECKING:
    from dagmap.sdk.abstractoperator import AbstractOperator


class DependencyMixin:
    """Something that can stand on either side of ``>>``: a task, an XComArg, a task group, a label."""

    def dependency_endpoints(self, *, as_upstream: bool) -> list[AbstractOperator]:
        """The tasks an edge attaches to: leaves when this is upstream, roots when it is downstream."""
        raise NotImplementedError

    def set_upstream(self, other: Any, edge_modifier: EdgeModifier | None = None) -> None:
        for item in _flatten(other):
            if isinstance(item, EdgeModifier):
                item.set_downstream(self)
            else:
                _connect(item, self, edge_modifier)

    def set_downstream(self, other: Any, edge_modifier: EdgeModifier | None = None) -> None:
        for item in _flatten(other):
            if isinstance(item, EdgeModifier):
                item.set_upstream(self)
            else:
                _connect(self, item, edge_modifier)

    def __rshift__(self, other: Any) -> Any:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: Any) -> Any:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: Any) -> Any:
        """``[a, b] >> self``."""
        self.set_upstream(other)
        return self

    def __rlshift__(self, other: Any) -> Any:
        """``[a, b] << self``."""
        self.set_downstream(other)
        return self


class EdgeModifier(DependencyMixin):
    """Sits between two sets of tasks and adds information (a label) to every edge between them."""

    def __init__(self, label: str | None = None) -> None:
        self.label = label
        self._upstream: list[DependencyMixin] = []
        self._downstream: list[DependencyMixin] = []

    def dependency_endpoints(self, *, as_upstream: bool) -> list[AbstractOperator]:
        raise DagDefinitionError(f"the edge label {self.label!r} must sit between two tasks")

    def set_upstream(self, other: Any, edge_modifier: EdgeModifier | None = None) -> None:
        for item in _flatten(other):
            self._upstream.append(item)
            for downstream in self._downstream:
                _connect(item, downstream, self)

    def set_downstream(self, other: Any, edge_modifier: EdgeModifier | None = None) -> None:
        for item in _flatten(other):
            self._downstream.append(item)
            for upstream in self._upstream:
                _connect(upstream, item, self)

    def __repr__(self) -> str:
        return f"Label({self.label!r})"


def Label(label: str) -> EdgeModifier:  # Airflow's name: a function that reads like a class
    """An edge label: ``a >> Label("when empty") >> b``."""
    return EdgeModifier(label)


def _flatten(other: Any) -> list[Any]:
    if isinstance(other, DependencyMixin):
        return [other]
    if isinstance(other, (list, tuple, set, frozenset)):
        items: list[Any] = []
        for item in other:
            items.extend(_flatten(item))
        return items
    raise DagDefinitionError(
        f"cannot set a dependency on {other!r}: expected a task, an XComArg, a task group or a list of them"
    )


def _connect(upstream: Any, downstream: Any, edge_modifier: EdgeModifier | None) -> None:
    label = edge_modifier.label if edge_modifier is not None else None
    for up in upstream.dependency_endpoints(as_upstream=True):
        for down in downstream.dependency_endpoints(as_upstream=False):
            link(up, down, label=label)


def link(upstream: AbstractOperator, downstream: AbstractOperator, *, label: str | None = None) -> None:
    """Make ``upstream`` run before ``downstream``; both end up in the same DAG."""
    dag = upstream.dag or downstream.dag
    if dag is None:
        raise DagDefinitionError(
            f"cannot set a dependency between {upstream.task_id!r} and {downstream.task_id!r}: neither is in a "
            "DAG yet; create them inside `with DAG(...)` or pass dag=",
            task_id=downstream.task_id,
        )
    for task in (upstream, downstream):
        if task.dag is None:
            dag.add_task(task)
        elif task.dag is not dag:
            raise DagDefinitionError(
                f"cannot set a dependency between tasks of different DAGs ({upstream.dag_id!r} and "
                f"{downstream.dag_id!r})",
                dag_id=dag.dag_id,
                task_id=task.task_id,
                filename=dag.fileloc,
            )
    if upstream is downstream:
        raise DagDefinitionError(
            "a task cannot depend on itself", dag_id=dag.dag_id, task_id=upstream.task_id, filename=dag.fileloc
        )
    upstream.downstream_task_ids.add(downstream.task_id)
    downstream.upstream_task_ids.add(upstream.task_id)
    if label is not None:
        dag.set_edge_label(upstream.task_id, downstream.task_id, label)


def chain(*tasks: DependencyMixin | Sequence[DependencyMixin]) -> None:
    """``chain(a, [b, c], [d, e], f)``: a>>b>>d>>f and a>>c>>e>>f (neighbouring lists pair up by position)."""
    for upstream, downstream in itertools.pairwise(tasks):
        if isinstance(upstream, DependencyMixin):
            upstream.set_downstream(downstream)
        elif isinstance(downstream, DependencyMixin):
            downstream.set_upstream(upstream)
        else:
            ups, downs = list(upstream), list(downstream)
            if len(ups) != len(downs):
                raise DagDefinitionError(
                    "chain() pairs neighbouring lists by position, so they must have the same length "
                    f"(got {len(ups)} and {len(downs)})"
                )
            for up, down in zip(ups, downs, strict=True):
                up.set_downstream(down)


def cross_downstream(
    from_tasks: Sequence[DependencyMixin], to_tasks: DependencyMixin | Sequence[DependencyMixin]
) -> None:
    """Every task of ``from_tasks`` upstream of every task of ``to_tasks``."""
    for task in from_tasks:
        task.set_downstream(to_tasks)


def chain_linear(*elements: DependencyMixin | Sequence[DependencyMixin]) -> None:
    """``chain_linear(a, [b, c], [d, e, f], g)``: every element fully connected to the next one."""
    if len(elements) < 2:
        raise DagDefinitionError("chain_linear() needs at least two elements")
    previous: Iterable[Any] | None = None
    for element in elements:
        current = [element] if isinstance(element, DependencyMixin) else list(element)
        if previous is not None:
            for up in previous:
                up.set_downstream(current)
        previous = current
