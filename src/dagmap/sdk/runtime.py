"""What the task runner calls to run one task instance. The contract, in order:

1. ``with set_current_context(context):`` (``get_current_context()`` in user code returns ``context``)
2. ``operator = prepare_task_for_run(task, map_index=i, xcom=source)``: a fresh operator for instance ``i``
   (``-1`` when unmapped) with every mapped value and XComArg resolved. For a mapped task: the element of each
   expand input at ``i`` (cross product decomposed row-major, last argument fastest; ``expand_kwargs`` item
   ``i``; dicts as ``(key, value)``; ``.map`` fns applied; zip / concat), built with the partial arguments.
   An upstream inside the same mapped task group resolves to its value at ``i``; a mapped upstream elsewhere
   to ``xcom.get_mapped_values`` (lazy); anything else to ``xcom.get_value(task_id, -1)``.
   Raises MappingDefinitionError (task, argument, map index) for a bad item, XComNotFound for a missing
   value; TaskSkipped (AirflowSkipException) raised by a ``.map`` fn propagates: mark the instance skipped.
3. ``operator.render_template_fields(context, jinja_env=get_template_env(dag))`` (XCom values unrendered).
4. ``result = operator.execute(context)``; then ``operator.skip_after_execute(result)`` -> SkipDecision | None.
5. ``render_map_index(operator, context)`` -> the instance's display name (or None), after execute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagmap.errors import DagDefinitionError, XComNotFound
from dagmap.sdk import active
from dagmap.sdk.abstractoperator import AbstractOperator
from dagmap.sdk.baseoperator import BaseOperator
from dagmap.sdk.context import get_current_context, set_current_context
from dagmap.sdk.mapped_operator import MappedOperator, base_operator_arguments
from dagmap.sdk.operator_args import MAPPABLE_BASE_ARGUMENTS
from dagmap.sdk.resolution import RETURN_VALUE, Resolver, XComSource
from dagmap.sdk.signatures import callable_facts, operator_init_facts
from dagmap.sdk.skipping import SkipDecision
from dagmap.sdk.templating import get_template_env, render_map_index, render_template_fields
from dagmap.sdk.xcom_arg import iter_xcom_args

__all__ = [
    "InMemoryXComSource",
    "SkipDecision",
    "XComSource",
    "get_current_context",
    "get_template_env",
    "prepare_task_for_run",
    "render_map_index",
    "render_template_fields",
    "set_current_context",
]


def prepare_task_for_run(task: AbstractOperator, *, map_index: int, xcom: XComSource) -> BaseOperator:
    """A concrete operator, ready to render and execute, for instance ``map_index`` of ``task``."""
    resolver = Resolver(task, map_index, xcom)
    if isinstance(task, MappedOperator):
        operator = _unmap(task, resolver)
    elif isinstance(task, BaseOperator):
        operator = task.prepare_for_execution()
        for field in task.template_fields:
            value = getattr(task, field, None)
            if next(iter_xcom_args(value), None) is not None:
                setattr(operator, field, resolver.resolve_nested(value, (field,)))
    else:
        raise TypeError(f"cannot run {task!r}")
    operator._dagmap_xcom_paths = frozenset(resolver.xcom_paths)
    operator._dagmap_map_index = map_index
    return operator


def _check_runtime_names(task: MappedOperator, names: Sequence[str], resolver: Resolver) -> None:
    """``expand_kwargs`` keys known only at run time get the checks literal ones got in the DAG file."""
    for name in names:
        if task.expand_into_op_kwargs:
            facts = callable_facts(task.partial_kwargs["python_callable"])
            known = name in facts.names or facts.var_keyword
            given = name in (task.partial_kwargs.get("op_kwargs") or {})
        else:
            known = name in operator_init_facts(task.operator_class).names and (
                name not in base_operator_arguments() or name in MAPPABLE_BASE_ARGUMENTS
            )
            given = name in task.partial_kwargs
        if not known:
            raise resolver.error(f"expand_kwargs() item {resolver.map_index} sets unknown argument {name!r}", name)
        if given:
            raise resolver.error(f"expand_kwargs() item {resolver.map_index} sets {name!r}, given to partial()", name)


def _unmap(task: MappedOperator, resolver: Resolver) -> BaseOperator:
    element, from_xcom = resolver.expansion_element(task.expand_input)
    if task.expand_input.kind == "list_of_dicts":
        _check_runtime_names(task, list(element), resolver)

    def path(name: str) -> tuple[str, ...]:
        return ("op_kwargs", name) if task.expand_into_op_kwargs else (name,)

    mapped: dict[str, Any] = {}
    for name, value in element.items():
        if name in from_xcom:
            resolver.xcom_paths.add(path(name))
            mapped[name] = value
        else:
            mapped[name] = resolver.resolve_nested(value, path(name))
    partial = dict(task.partial_kwargs)
    for name in task.partial_reference_names:
        partial[name] = resolver.resolve_nested(partial[name], (name,))
    params = task.params
    if task.expand_into_op_kwargs:
        op_kwargs = dict(partial["op_kwargs"])
        for name in task.op_kwargs_reference_names:
            op_kwargs[name] = resolver.resolve_nested(op_kwargs[name], ("op_kwargs", name))
        kwargs = {**partial, "op_kwargs": {**op_kwargs, **mapped}}
    else:
        if "params" in mapped:
            params = params.merged(mapped.pop("params") or {})
        kwargs = {**partial, **mapped}
    try:
        with active.unmapping():
            operator = task.operator_class(
                task_id=task.task_id, default_args=task.default_args, params=params, **kwargs
            )
    except (DagDefinitionError, TypeError) as error:
        message = error.message if isinstance(error, DagDefinitionError) else str(error)
        argument = error.argument if isinstance(error, DagDefinitionError) else None
        raise resolver.error(f"cannot create map index {resolver.map_index}: {message}", argument) from error
    operator.dag = task.dag
    operator.task_group = task.task_group
    operator.upstream_task_ids = task.upstream_task_ids
    operator.downstream_task_ids = task.downstream_task_ids
    return operator


class InMemoryXComSource:
    """An :class:`XComSource` over a dict, for tests and ``dags test``-style local runs.

    Pushing ``None`` stores nothing (the runner does not push None either), so mapped-over-mapped inputs skip it.
    """

    def __init__(self, values: Mapping[tuple[str, int] | tuple[str, int, str], Any] | None = None) -> None:
        self._values: dict[tuple[str, int, str], Any] = {}
        for key, value in (values or {}).items():
            task_id, map_index, *rest = key
            self.push(task_id, value, map_index=map_index, key=rest[0] if rest else RETURN_VALUE)

    def push(self, task_id: str, value: Any, *, map_index: int = -1, key: str = RETURN_VALUE) -> None:
        if value is not None:
            self._values[(task_id, map_index, key)] = value

    def get_value(self, task_id: str, map_index: int, key: str = RETURN_VALUE) -> Any:
        try:
            return self._values[(task_id, map_index, key)]
        except KeyError:
            raise XComNotFound(f"no XCom {key!r}", task_id=task_id, map_index=map_index) from None

    def get_mapped_values(self, task_id: str, key: str = RETURN_VALUE) -> Sequence[Any]:
        found = [(i, v) for (t, i, k), v in self._values.items() if t == task_id and k == key and i >= 0]
        return [value for _, value in sorted(found, key=lambda pair: pair[0])]

    def pushed_count(self, task_id: str, key: str = RETURN_VALUE) -> int:
        return sum(1 for (t, _i, k) in self._values if t == task_id and k == key)
