"""Normalizing and defaulting operator arguments, shared by BaseOperator and MappedOperator.

``default_args`` are applied (as in Airflow) only to arguments some ``__init__`` of the class names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from dagmap.config import get_settings
from dagmap.errors import DagDefinitionError
from dagmap.sdk import active
from dagmap.sdk.params import ParamsDict
from dagmap.sdk.signatures import operator_init_facts
from dagmap.timetables import coerce_datetime
from dagmap.trigger_rule import TriggerRule

if TYPE_CHECKING:
    from dagmap.sdk.assets import Asset
    from dagmap.sdk.dag import DAG
    from dagmap.sdk.task_group import TaskGroup

DEFAULT_OWNER = "dagmap"
DEFAULT_POOL = "default_pool"
WEIGHT_RULES = frozenset({"downstream", "upstream", "absolute"})
MAPPABLE_BASE_ARGUMENTS = frozenset({"params", "do_xcom_push"})
"""The only BaseOperator arguments ``expand`` accepts; the operator's own arguments are all mappable."""


def where(dag: DAG | None, task_id: str | None) -> dict[str, Any]:
    """Structured error fields for a task of ``dag``."""
    fields: dict[str, Any] = {"task_id": task_id}
    if dag is not None:
        fields.update(dag_id=dag.dag_id, filename=dag.fileloc)
    return fields


def as_timedelta(value: Any, name: str, task_id: str | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    raise DagDefinitionError(
        f"{name} must be a timedelta or a number of seconds, not {value!r}", task_id=task_id, argument=name
    )


def as_trigger_rule(value: Any, task_id: str | None) -> TriggerRule:
    try:
        return TriggerRule.normalize(str(value.value if isinstance(value, TriggerRule) else value))
    except ValueError:
        valid = ", ".join(rule.value for rule in TriggerRule)
        raise DagDefinitionError(
            f"unknown trigger_rule {value!r}; valid rules: {valid}", task_id=task_id, argument="trigger_rule"
        ) from None


def as_weight_rule(value: Any, task_id: str | None) -> str:
    rule = str(getattr(value, "value", value))
    if rule not in WEIGHT_RULES:
        raise DagDefinitionError(
            f"unknown weight_rule {value!r}; use downstream, upstream or absolute", task_id=task_id,
            argument="weight_rule",
        )  # fmt: skip
    return rule


def as_int(value: Any, name: str, task_id: str | None, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        return int(value)
    except (TypeError, ValueError):
        raise DagDefinitionError(f"{name} must be an integer, not {value!r}", task_id=task_id, argument=name) from None


def as_outlets(value: Any, dag: DAG | None, task_id: str | None) -> list[Asset]:
    """A task's ``outlets`` as a list of assets; anything else is an error naming the task."""
    from dagmap.sdk.assets import validate_outlets

    try:
        return validate_outlets(value)
    except DagDefinitionError as error:
        error.task_id = task_id
        if dag is not None:
            error.dag_id, error.filename = dag.dag_id, dag.fileloc
        raise


def as_date(value: datetime | None, zone: tzinfo | str) -> datetime | None:
    return coerce_datetime(value, zone) if value is not None else None


def default_retries() -> int:
    return get_settings().core.default_task_retries


def default_queue() -> str:
    return get_settings().celery.default_queue


def merged_default_args(dag: DAG | None, group: TaskGroup | None, explicit: Mapping[str, Any] | None) -> dict[str, Any]:
    """DAG defaults < task group defaults < the operator's own ``default_args``."""
    merged: dict[str, Any] = dict(dag.default_args) if dag is not None else {}
    if group is not None:
        merged.update(group.default_args)
    merged.update(explicit or {})
    return merged


def apply_defaults(operator_class: type, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Fill in ``dag``, ``task_group``, ``default_args`` and ``params``, and the defaults the class accepts."""
    unmapping = active.is_unmapping()
    dag = kwargs.get("dag") or (None if unmapping else active.current_dag())
    group = kwargs.get("task_group") or (None if unmapping else active.current_task_group(dag))
    default_args = merged_default_args(dag, group, kwargs.pop("default_args", None))
    params = ParamsDict(default_args.pop("params", None)).merged(kwargs.pop("params", None))
    facts = operator_init_facts(operator_class)
    for name in facts.names:
        if name not in kwargs and name in default_args:
            kwargs[name] = default_args[name]
    missing = sorted(facts.required - set(kwargs) - {"dag", "task_group", "params", "default_args"})
    if missing:
        task_id = kwargs.get("task_id")
        raise DagDefinitionError(
            f"{operator_class.__name__} is missing the required argument {missing[0]!r}",
            argument=missing[0],
            **where(dag, task_id if isinstance(task_id, str) else None),
        )
    kwargs.update(dag=dag, task_group=group, default_args=default_args, params=params)
    return kwargs
