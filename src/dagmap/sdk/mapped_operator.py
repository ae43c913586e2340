"""``Op.partial(...)`` (OperatorPartial) and ``.expand(...)`` / ``.expand_kwargs(...)`` (MappedOperator).

A MappedOperator is ONE node of the DAG; :func:`dagmap.sdk.runtime.prepare_task_for_run` builds the real
operator of each instance. Everything that can be checked in the DAG file is checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

from dagmap.errors import MappingDefinitionError
from dagmap.sdk import active
from dagmap.sdk.abstractoperator import AbstractOperator, validate_key
from dagmap.sdk.expand_input import (
    DictOfListsExpandInput,
    ExpandInput,
    ListOfDictsExpandInput,
    check_expand_kwargs_value,
    check_expand_value,
)
from dagmap.sdk.operator_args import (
    DEFAULT_OWNER,
    DEFAULT_POOL,
    MAPPABLE_BASE_ARGUMENTS,
    as_date,
    as_int,
    as_outlets,
    as_timedelta,
    as_trigger_rule,
    as_weight_rule,
    default_queue,
    default_retries,
    merged_default_args,
    where,
)
from dagmap.sdk.params import ParamsDict
from dagmap.sdk.signatures import operator_init_facts
from dagmap.sdk.xcom_arg import iter_xcom_args
from dagmap.trigger_rule import TriggerRule

if TYPE_CHECKING:
    from dagmap.sdk.dag import DAG
    from dagmap.sdk.task_group import TaskGroup


def base_operator_arguments() -> frozenset[str]:
    from dagmap.sdk.baseoperator import BaseOperator

    return operator_init_facts(BaseOperator).names


def make_partial(operator_class: type, kwargs: dict[str, Any]) -> OperatorPartial:
    task_id = kwargs.pop("task_id", None)
    dag = kwargs.pop("dag", None) or active.current_dag()
    group = kwargs.pop("task_group", None) or active.current_task_group(dag)
    if task_id is None:
        raise MappingDefinitionError(
            f"{operator_class.__name__}.partial() needs task_id=", argument="task_id", **where(dag, None)
        )
    validate_key("task_id", task_id, dag=dag)
    full_id = group.child_id(task_id) if group is not None else task_id
    default_args = merged_default_args(dag, group, kwargs.pop("default_args", None))
    params = ParamsDict(default_args.pop("params", None)).merged(kwargs.pop("params", None))
    names = operator_init_facts(operator_class).names
    for name in kwargs:
        if name not in names:
            raise MappingDefinitionError(
                f"partial() got an unknown argument {name!r}: {operator_class.__name__} does not accept it",
                argument=name,
                **where(dag, full_id),
            )
    return OperatorPartial(operator_class, task_id, kwargs, default_args, params, dag, group)


class OperatorPartial:
    """The constant part of a mapped task; call :meth:`expand` or :meth:`expand_kwargs` to finish it."""

    def __init__(
        self,
        operator_class: type,
        task_id: str,
        kwargs: dict[str, Any],
        default_args: dict[str, Any],
        params: ParamsDict,
        dag: DAG | None,
        task_group: TaskGroup | None,
    ) -> None:
        self.operator_class = operator_class
        self.task_id = task_id
        self.kwargs = kwargs
        self.default_args = default_args
        self.params = params
        self.dag = dag
        self.task_group = task_group

    @property
    def _where(self) -> dict[str, Any]:
        full_id = self.task_group.child_id(self.task_id) if self.task_group is not None else self.task_id
        return where(self.dag, full_id)

    def expand(self, *args: Any, **mapped_kwargs: Any) -> MappedOperator:
        """One instance per element (several arguments: the cross product, last one varying fastest)."""
        w = self._where
        if args:
            raise MappingDefinitionError("expand() takes keyword arguments only: expand(name=[...])", **w)
        if not mapped_kwargs:
            raise MappingDefinitionError("expand() needs at least one argument to map over", **w)
        for name, value in mapped_kwargs.items():
            self._check_name(name, w)
            check_expand_value(name, value, w)
        self._check_required(set(mapped_kwargs), w)
        return self._finish(DictOfListsExpandInput(mapped_kwargs))

    def expand_kwargs(self, kwargs: Any, *, strict: bool = True) -> MappedOperator:
        """One instance per dict of keyword arguments (a list of dicts, or an XComArg giving one)."""
        w = self._where
        check_expand_kwargs_value(kwargs, w)
        expand_input = ListOfDictsExpandInput(kwargs)
        for position, item in enumerate(expand_input.literal_dicts()):
            for name in item:
                self._check_name(name, w)
            self._check_required(set(item), w, f" in expand_kwargs() item {position}")
        return self._finish(expand_input)

    def _check_name(self, name: str, w: dict[str, Any]) -> None:
        cls = self.operator_class
        if name not in operator_init_facts(cls).names:
            raise MappingDefinitionError(
                f"cannot map over {name!r}: {cls.__name__} has no such argument", argument=name, **w
            )
        if name in base_operator_arguments() and name not in MAPPABLE_BASE_ARGUMENTS:
            raise MappingDefinitionError(
                f"{name!r} cannot be mapped: it applies to the whole task; pass it to partial()", argument=name, **w
            )
        if name in self.kwargs:
            raise MappingDefinitionError(
                f"{name!r} is given to both partial() and expand(); give it to one of them", argument=name, **w
            )

    def _check_required(self, mapped: set[str], w: dict[str, Any], suffix: str = "") -> None:
        facts = operator_init_facts(self.operator_class)
        missing = sorted(facts.required - mapped - set(self.kwargs) - set(self.default_args) - {"task_id"})
        if missing:
            raise MappingDefinitionError(
                f"{self.operator_class.__name__} needs {missing[0]!r}, given neither to partial() nor to "
                f"expand(){suffix}",
                argument=missing[0],
                **w,
            )

    def _finish(self, expand_input: ExpandInput) -> MappedOperator:
        return MappedOperator(
            operator_class=self.operator_class,
            task_id=self.task_id,
            partial_kwargs=self.kwargs,
            default_args=self.default_args,
            params=self.params,
            expand_input=expand_input,
            dag=self.dag,
            task_group=self.task_group,
        )


class MappedOperator(AbstractOperator):
    """A task with N instances per run. ``partial_kwargs`` are constant; ``expand_input`` varies per instance.

    With ``expand_into_op_kwargs`` (TaskFlow), mapped values are function arguments merged into ``op_kwargs``.
    """

    def __init__(
        self,
        *,
        operator_class: type,
        task_id: str,
        partial_kwargs: dict[str, Any],
        default_args: dict[str, Any],
        params: ParamsDict,
        expand_input: ExpandInput,
        dag: DAG | None,
        task_group: TaskGroup | None,
        expand_into_op_kwargs: bool = False,
    ) -> None:
        self.operator_class = operator_class
        self.task_group = task_group
        self.task_id = task_group.child_id(task_id) if task_group is not None else task_id
        self.dag = dag
        self.partial_kwargs = partial_kwargs
        self.default_args = default_args
        self.params = params
        self.expand_input = expand_input
        self.expand_into_op_kwargs = expand_into_op_kwargs
        self.template_fields = tuple(getattr(operator_class, "template_fields", ()))
        self.template_ext = tuple(getattr(operator_class, "template_ext", ()))
        self.template_fields_renderers = dict(getattr(operator_class, "template_fields_renderers", {}))
        self.custom_operator_name = getattr(operator_class, "custom_operator_name", None) or operator_class.__name__
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self._read_settings()
        w = where(dag, self.task_id)
        outer = next(task_group.iter_mapped_ancestors(), None) if task_group is not None else None
        if outer is not None:
            raise MappingDefinitionError(
                f"cannot expand a task inside mapped task group {outer.group_id!r}: dagmap does not support "
                "mapping inside a mapped group (each group instance would need its own expansion)",
                **w,
            )
        if self.trigger_rule is TriggerRule.ALWAYS and next(expand_input.iter_references(), None) is not None:
            raise MappingDefinitionError(
                "trigger_rule='always' cannot be used on a task mapped over an upstream result: it could run "
                "before its input exists",
                argument="trigger_rule",
                **w,
            )
        if dag is not None:
            dag.add_task(self)
        self.add_references_from(partial_kwargs)
        self.add_references_from(expand_input.value)
        # Which constant arguments hold XComArgs, found once: instances resolve only those.
        nested = "op_kwargs" if expand_into_op_kwargs else None
        op_kwargs: Mapping[str, Any] = (partial_kwargs.get("op_kwargs") or {}) if nested else {}
        self.partial_reference_names = frozenset(
            n for n, v in partial_kwargs.items() if n != nested and next(iter_xcom_args(v), None) is not None
        )
        self.op_kwargs_reference_names = frozenset(
            n for n, v in op_kwargs.items() if next(iter_xcom_args(v), None) is not None
        )

    def _setting(self, name: str, default: Any) -> Any:
        if name in self.partial_kwargs:
            return self.partial_kwargs[name]
        return self.default_args.get(name, default)

    def _read_settings(self) -> None:
        task, get = self.task_id, self._setting
        self.owner: str = get("owner", DEFAULT_OWNER)
        retries = get("retries", None)
        self.retries = as_int(default_retries() if retries is None else retries, "retries", task)
        self.retry_delay = as_timedelta(get("retry_delay", 300), "retry_delay", task) or timedelta(0)
        self.retry_exponential_backoff: bool = get("retry_exponential_backoff", False)
        self.max_retry_delay = as_timedelta(get("max_retry_delay", None), "max_retry_delay", task)
        self.execution_timeout = as_timedelta(get("execution_timeout", None), "execution_timeout", task)
        self.pool: str = get("pool", None) or DEFAULT_POOL
        self.pool_slots = as_int(get("pool_slots", 1), "pool_slots", task)
        self.queue: str = get("queue", None) or default_queue()
        self.priority_weight = as_int(get("priority_weight", 1), "priority_weight", task)
        self.weight_rule = as_weight_rule(get("weight_rule", "downstream"), task)
        self.trigger_rule = as_trigger_rule(get("trigger_rule", TriggerRule.ALL_SUCCESS), task)
        limit = get("max_active_tis_per_dag", get("task_concurrency", None))
        self.max_active_tis_per_dag = as_int(limit, "max_active_tis_per_dag", task, allow_none=True)
        self.max_active_tis_per_dagrun = as_int(
            get("max_active_tis_per_dagrun", None), "max_active_tis_per_dagrun", task, allow_none=True
        )
        self.map_index_template: str | None = get("map_index_template", None)
        self.doc_md: str | None = get("doc_md", None) or get("doc", None)
        zone = self.dag.timezone if self.dag is not None else UTC
        self.start_date = as_date(get("start_date", None), zone)
        self.end_date = as_date(get("end_date", None), zone)
        self.depends_on_past: bool = get("depends_on_past", False)
        self.do_xcom_push: bool = get("do_xcom_push", True)
        self.multiple_outputs: bool = get("multiple_outputs", False)
        self.outlets = as_outlets(get("outlets", None), self.dag, task)
        inlets = get("inlets", None)
        self.inlets = list(inlets) if isinstance(inlets, (list, tuple)) else ([] if inlets is None else [inlets])
        self.ui_color: str = getattr(self.operator_class, "ui_color", "#fff")
        self.ui_fgcolor: str = getattr(self.operator_class, "ui_fgcolor", "#000")

    @property
    def is_mapped(self) -> bool:
        return True

    def partial_value(self, name: str, default: Any = None) -> Any:
        """A constant argument (TaskFlow: a function argument given to ``partial``)."""
        if self.expand_into_op_kwargs:
            op_kwargs: Mapping[str, Any] = self.partial_kwargs.get("op_kwargs") or {}
            return op_kwargs.get(name, default)
        return self.partial_kwargs.get(name, default)

    def __repr__(self) -> str:
        return f"<Mapped({self.custom_operator_name}): {self.task_id}>"
