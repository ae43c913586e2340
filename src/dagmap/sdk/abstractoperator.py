"""What every DAG node shares, mapped or not: identity, DAG and group membership, edges, ``output``."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dagmap.errors import DagDefinitionError
from dagmap.sdk.dependencies import DependencyMixin, link
from dagmap.sdk.xcom_arg import RETURN_VALUE, PlainXComArg, iter_xcom_args

if TYPE_CHECKING:
    from dagmap.sdk.dag import DAG
    from dagmap.sdk.task_group import MappedTaskGroup, TaskGroup
    from dagmap.trigger_rule import TriggerRule

KEY_PATTERN = re.compile(r"^[\w.-]+$")
MAX_KEY_LENGTH = 250


def validate_key(kind: str, key: Any, *, dag: DAG | None = None) -> str:
    """Check a task, group or DAG id: letters, digits, ``_``, ``-`` and ``.``; at most 250 characters."""
    where: dict[str, Any] = {"dag_id": dag.dag_id, "filename": dag.fileloc} if dag is not None else {}
    if not isinstance(key, str):
        raise DagDefinitionError(f"the {kind} must be a string, not {type(key).__name__}", **where)
    if len(key) > MAX_KEY_LENGTH:
        raise DagDefinitionError(f"the {kind} {key!r} is longer than {MAX_KEY_LENGTH} characters", **where)
    if not KEY_PATTERN.match(key):
        raise DagDefinitionError(
            f"the {kind} {key!r} may contain only letters, digits, '_', '-' and '.'", argument=kind, **where
        )
    return key


class AbstractOperator(DependencyMixin):
    """A node of the DAG: a task (:class:`BaseOperator`) or a mapped task (:class:`MappedOperator`)."""

    task_id: str
    dag: DAG | None
    task_group: TaskGroup | None
    upstream_task_ids: set[str]
    downstream_task_ids: set[str]
    trigger_rule: TriggerRule
    template_fields: Sequence[str] = ()
    template_ext: Sequence[str] = ()
    template_fields_renderers: Mapping[str, str] = {}
    custom_operator_name: str | None = None
    """The name users see instead of the class name (``@task`` for TaskFlow operators)."""
    is_setup: bool = False
    is_teardown: bool = False
    on_failure_fail_dagrun: bool = False
    """A teardown that fails fails the run (by default a teardown does not count for the run's state)."""

    @property
    def is_mapped(self) -> bool:
        """Whether this node has many instances per run (its own ``expand`` or a mapped group)."""
        return self.get_closest_mapped_task_group() is not None

    @property
    def dag_id(self) -> str:
        return self.dag.dag_id if self.dag is not None else "_no_dag"

    @property
    def label(self) -> str:
        """The task id without its group prefix."""
        group = self.task_group
        if group is not None and group.group_id and group.prefix_group_id:
            prefix = group.group_id + "."
            if self.task_id.startswith(prefix):
                return self.task_id[len(prefix) :]
        return self.task_id

    @property
    def node_id(self) -> str:
        return self.task_id

    @property
    def operator_name(self) -> str:
        return self.custom_operator_name or type(self).__name__

    @property
    def log(self) -> logging.Logger:
        """The operator's logger, as Airflow's ``self.log``: ``dagmap.task.operators.<module>.<class>``, or
        ``dagmap.task.operators.<logger_name>`` when the task sets ``logger_name``."""
        custom = self.__dict__.get("_dagmap_log")
        if custom is not None:
            return custom  # type: ignore[no-any-return]
        cls = getattr(self, "operator_class", None) or type(self)  # a mapped task logs as its operator
        partial = getattr(self, "partial_kwargs", None) or {}
        name = getattr(self, "logger_name", None) or partial.get("logger_name") or f"{cls.__module__}.{cls.__name__}"
        return logging.getLogger(f"dagmap.task.operators.{name}")

    @log.setter
    def log(self, value: logging.Logger) -> None:
        self.__dict__["_dagmap_log"] = value

    @property
    def output(self) -> PlainXComArg:
        """The value this task returns (its ``return_value`` XCom)."""
        return PlainXComArg(self, RETURN_VALUE)

    def dependency_endpoints(self, *, as_upstream: bool) -> list[AbstractOperator]:
        return [self]

    def as_setup(self) -> AbstractOperator:
        """Mark the task as a setup task (it creates what its teardowns remove); returns the task."""
        from dagmap.sdk.setup_teardown import mark_setup

        mark_setup(self)
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> AbstractOperator:
        """Mark the task as a teardown task of ``setups`` (tasks, XComArgs or a list); returns the task."""
        from dagmap.sdk.setup_teardown import mark_teardown

        mark_teardown(self, setups=setups, on_failure_fail_dagrun=on_failure_fail_dagrun)
        return self

    def __enter__(self) -> AbstractOperator:
        """``with setup_task:`` / ``with setup >> teardown:``: tasks created inside go between them."""
        from dagmap.sdk.setup_teardown import enter_scope

        enter_scope(self, [self])
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        from dagmap.sdk.setup_teardown import exit_scope

        exit_scope(self, exc_type)

    # --- relatives ------------------------------------------------------------------------------------
    def _relative(self, task_id: str) -> AbstractOperator:
        if self.dag is None:
            raise DagDefinitionError(f"task {self.task_id!r} is not in a DAG", task_id=self.task_id)
        return self.dag.get_task(task_id)

    @property
    def upstream_list(self) -> list[AbstractOperator]:
        return [self._relative(t) for t in sorted(self.upstream_task_ids)]

    @property
    def downstream_list(self) -> list[AbstractOperator]:
        return [self._relative(t) for t in sorted(self.downstream_task_ids)]

    def get_direct_relative_ids(self, upstream: bool = False) -> set[str]:
        return set(self.upstream_task_ids if upstream else self.downstream_task_ids)

    def get_flat_relative_ids(self, upstream: bool = False) -> set[str]:
        """Every task reachable upstream (or downstream) of this one."""
        found: set[str] = set()
        pending = list(self.get_direct_relative_ids(upstream))
        while pending:
            task_id = pending.pop()
            if task_id in found:
                continue
            found.add(task_id)
            pending.extend(self._relative(task_id).get_direct_relative_ids(upstream))
        return found

    # --- mapped task groups ---------------------------------------------------------------------------
    def iter_mapped_task_groups(self) -> Iterator[MappedTaskGroup]:
        """The mapped task groups this node is inside, innermost first."""
        group = self.task_group
        while group is not None:
            if group.is_mapped:
                yield group  # type: ignore[misc]
            group = group.parent_group

    def get_closest_mapped_task_group(self) -> MappedTaskGroup | None:
        return next(self.iter_mapped_task_groups(), None)

    # --- references to other tasks' XComs ------------------------------------------------------------
    def add_references_from(self, value: Any) -> None:
        """Make the producer of every XComArg (or mapped-group argument) nested in ``value`` upstream."""
        for holder in iter_xcom_args(value):
            for operator, _key in holder.iter_references():
                if operator is not self and operator.task_id not in self.upstream_task_ids:
                    link(operator, self)

    def __repr__(self) -> str:
        return f"<Task({self.operator_name}): {self.task_id}>"
