"""Task groups: a UI folder and an id prefix (``group.task``); a *mapped* group repeats its tasks per element.

``with TaskGroup("g"):`` or ``@task_group`` (see :mod:`dagmap.sdk.task_group_decorator`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from dagmap.errors import DagDefinitionError, DuplicateTaskIdError, MappingDefinitionError
from dagmap.sdk import active
from dagmap.sdk.abstractoperator import AbstractOperator, validate_key
from dagmap.sdk.dependencies import DependencyMixin

if TYPE_CHECKING:
    from dagmap.sdk.dag import DAG
    from dagmap.sdk.expand_input import ExpandInput


class TaskGroup(DependencyMixin):
    """A group of tasks. ``group >> task`` links the group's leaves; ``task >> group`` its roots."""

    is_mapped = False

    def __init__(
        self,
        group_id: str | None,
        prefix_group_id: bool = True,
        parent_group: TaskGroup | None = None,
        dag: DAG | None = None,
        default_args: Mapping[str, Any] | None = None,
        tooltip: str = "",
        ui_color: str = "CornflowerBlue",
        ui_fgcolor: str = "#000",
        add_suffix_on_collision: bool = False,
        group_display_name: str | None = None,
        _root: bool = False,
    ) -> None:
        self.prefix_group_id = prefix_group_id
        self.tooltip = tooltip
        self.ui_color = ui_color
        self.ui_fgcolor = ui_fgcolor
        self.children: dict[str, AbstractOperator | TaskGroup] = {}
        if _root:
            assert dag is not None
            self.dag: DAG = dag
            self._group_id: str | None = None
            self.parent_group: TaskGroup | None = None
            self.default_args: dict[str, Any] = {}
            return
        if group_id is None:
            raise DagDefinitionError("a task group needs a group_id")
        dag = dag or (parent_group.dag if parent_group is not None else None) or active.current_dag()
        if dag is None:
            raise DagDefinitionError(f"task group {group_id!r} must be created inside a DAG (or given dag=)")
        self.dag = dag
        validate_key("group_id", group_id, dag=dag)
        parent = parent_group or active.current_task_group(dag) or dag.task_group
        self.parent_group = parent
        self._group_id = group_id
        if add_suffix_on_collision:
            self._group_id = self._unique_label(group_id)
        full_id = self.group_id
        assert full_id is not None
        if full_id in dag.task_group_dict or full_id in dag.task_dict:
            raise DuplicateTaskIdError(
                f"the group id {full_id!r} is used twice", dag_id=dag.dag_id, filename=dag.fileloc, argument="group_id"
            )
        self.default_args = {**parent.default_args, **dict(default_args or {})}
        parent.children[full_id] = self
        dag.task_group_dict[full_id] = self

    @classmethod
    def create_root(cls, dag: DAG) -> TaskGroup:
        return cls(None, dag=dag, _root=True)

    def _unique_label(self, label: str) -> str:
        taken = set(self.dag.task_group_dict) | set(self.dag.task_dict)
        parent = self.parent_group
        full = parent.child_id(label) if parent is not None else label
        if full not in taken:
            return label
        pattern = re.compile(rf"^{re.escape(full)}__(\d+)$")
        numbers = [int(m.group(1)) for name in taken if (m := pattern.match(name))]
        return f"{label}__{max(numbers, default=0) + 1}"

    @property
    def group_id(self) -> str | None:
        parent = self.parent_group
        if self._group_id is not None and parent is not None and parent.prefix_group_id and parent._group_id:
            return parent.child_id(self._group_id)
        return self._group_id

    @property
    def label(self) -> str | None:
        return self._group_id

    @property
    def is_root(self) -> bool:
        return self._group_id is None

    def child_id(self, label: str) -> str:
        """The full id of a child called ``label``: ``group.label`` when ids are prefixed."""
        if self.prefix_group_id:
            group_id = self.group_id
            if group_id:
                return f"{group_id}.{label}"
        return label

    def add_child(self, task: AbstractOperator) -> None:
        if task.task_id in self.children and self.children[task.task_id] is not task:
            raise DuplicateTaskIdError(
                f"the task id {task.task_id!r} is used twice", dag_id=self.dag.dag_id, task_id=task.task_id,
                filename=self.dag.fileloc,
            )  # fmt: skip
        self.children[task.task_id] = task

    def __iter__(self) -> Iterator[AbstractOperator]:
        """Every task inside, nested groups included."""
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                yield from child
            else:
                yield child

    def iter_groups(self) -> Iterator[TaskGroup]:
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                yield child
                yield from child.iter_groups()

    @property
    def roots(self) -> list[AbstractOperator]:
        tasks = list(self)
        ids = {t.task_id for t in tasks}
        return [t for t in tasks if t.upstream_task_ids.isdisjoint(ids)]

    @property
    def leaves(self) -> list[AbstractOperator]:
        """Tasks without a downstream task inside; a teardown leaf stands aside for the work before it (as in
        Airflow, ``group >> task`` does not wait for the group's teardowns)."""
        tasks = list(self)
        ids = {t.task_id for t in tasks}
        by_id = {t.task_id: t for t in tasks}

        def has_other_work_downstream(task: AbstractOperator, exclude: str) -> bool:
            return any(d != exclude and d in ids and not by_id[d].is_teardown for d in task.downstream_task_ids)

        def first_work_before(teardown: AbstractOperator) -> Iterator[AbstractOperator]:
            for upstream_id in sorted(teardown.upstream_task_ids & ids):
                upstream = by_id[upstream_id]
                if upstream.is_teardown:
                    yield from first_work_before(upstream)
                elif teardown.is_teardown and upstream.is_setup:
                    continue  # not through the teardown-to-setup edge
                elif not has_other_work_downstream(upstream, exclude=teardown.task_id):
                    yield upstream

        found: dict[str, AbstractOperator] = {}
        for task in tasks:
            if task.downstream_task_ids.isdisjoint(ids):
                found.update((t.task_id, t) for t in ([task] if not task.is_teardown else first_work_before(task)))
        return list(found.values())

    def dependency_endpoints(self, *, as_upstream: bool) -> list[AbstractOperator]:
        return self.leaves if as_upstream else self.roots

    def iter_mapped_ancestors(self) -> Iterator[TaskGroup]:
        group: TaskGroup | None = self
        while group is not None:
            if group.is_mapped:
                yield group
            group = group.parent_group

    def __enter__(self) -> TaskGroup:
        active.push_task_group(self)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        active.pop_task_group(self)

    def __repr__(self) -> str:
        return f"<TaskGroup: {self.group_id}>"


class MappedTaskGroup(TaskGroup):
    """A group whose every task runs once per element of ``expand_input`` (instance i follows instance i)."""

    is_mapped = True

    def __init__(self, group_id: str | None, *, expand_input: ExpandInput, **kwargs: Any) -> None:
        super().__init__(group_id, **kwargs)
        self.expand_input = expand_input
        outer = next(self.parent_group.iter_mapped_ancestors(), None) if self.parent_group is not None else None
        if outer is not None:
            raise MappingDefinitionError(
                f"mapped task group {self.group_id!r} is inside mapped task group {outer.group_id!r}: dagmap does "
                "not support nested mapped task groups; expand the outer group over the combined inputs instead",
                dag_id=self.dag.dag_id, filename=self.dag.fileloc,
            )  # fmt: skip

    def __repr__(self) -> str:
        return f"<MappedTaskGroup: {self.group_id}>"
