"""The one bridge from authoring objects (``dagmap.sdk``) to the frozen specs the scheduler reads."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from dagmap.model.spec import (
    AssetSpec,
    ConcatInput,
    DagSpec,
    EdgeSpec,
    ExpandSpec,
    InputSpec,
    LiteralInput,
    MapInput,
    TaskGroupSpec,
    TaskSpec,
    XComInput,
    ZipInput,
)
from dagmap.sdk.expand_input import DictOfListsExpandInput, ExpandInput
from dagmap.sdk.mapped_operator import MappedOperator
from dagmap.sdk.task_group import MappedTaskGroup, TaskGroup
from dagmap.sdk.validation import topological_order
from dagmap.sdk.xcom_arg import ConcatXComArg, MapXComArg, PlainXComArg, ZipXComArg
from dagmap.timetables import timezone_name

if TYPE_CHECKING:
    from dagmap.sdk.abstractoperator import AbstractOperator
    from dagmap.sdk.dag import DAG


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def input_spec(value: Any) -> InputSpec:
    """The spec of one expand input (a literal, or an XComArg possibly composed with map / zip / concat)."""
    if isinstance(value, PlainXComArg):
        return XComInput(task_id=value.operator.task_id, key=value.key)
    if isinstance(value, MapXComArg):
        return MapInput(source=input_spec(value.arg))
    if isinstance(value, ZipXComArg):
        return ZipInput(sources=tuple(input_spec(a) for a in value.args), longest=value.longest)
    if isinstance(value, ConcatXComArg):
        return ConcatInput(sources=tuple(input_spec(a) for a in value.args))
    return LiteralInput(length=len(value))


def expand_spec(expand_input: ExpandInput) -> ExpandSpec:
    if isinstance(expand_input, DictOfListsExpandInput):
        arguments = tuple((name, input_spec(value)) for name, value in expand_input.value.items())
        return ExpandSpec(kind="product", arguments=arguments)
    return ExpandSpec(kind="list_of_dicts", arguments=(("", input_spec(expand_input.value)),))


def _feeding_task_ids(dag: DAG) -> set[str]:
    """Tasks whose output some expansion (of a task or a mapped group) reads: they record task_map rows."""
    inputs: list[ExpandInput] = [t.expand_input for t in dag.task_dict.values() if isinstance(t, MappedOperator)]
    inputs += [g.expand_input for g in dag.task_group_dict.values() if isinstance(g, MappedTaskGroup)]
    return {operator.task_id for expand_input in inputs for operator, _key in expand_input.iter_references()}


def _priority_weights(dag: DAG, order: list[str]) -> dict[str, int]:
    """Effective weights: ``downstream`` adds every downstream task's weight, ``upstream`` every upstream's."""
    relatives: dict[bool, dict[str, set[str]]] = {True: {}, False: {}}
    for upstream, sequence in ((False, reversed(order)), (True, iter(order))):
        found = relatives[upstream]
        for task_id in sequence:
            task = dag.task_dict[task_id]
            direct = task.upstream_task_ids if upstream else task.downstream_task_ids
            found[task_id] = set(direct).union(*(found[t] for t in direct)) if direct else set()
    weights: dict[str, int] = {}
    for task_id, task in dag.task_dict.items():
        own = int(getattr(task, "priority_weight", 1))
        rule = getattr(task, "weight_rule", "downstream")
        if rule == "absolute":
            weights[task_id] = own
        else:
            others = relatives[rule == "upstream"][task_id]
            weights[task_id] = own + sum(int(getattr(dag.task_dict[t], "priority_weight", 1)) for t in others)
    return weights


def _mapped_group_ids(task: AbstractOperator) -> tuple[str, ...]:
    return tuple(reversed([g.group_id for g in task.iter_mapped_task_groups() if g.group_id is not None]))


def task_spec(task: AbstractOperator, *, weight: int, feeds_mapping: bool) -> TaskSpec:
    group = task.task_group
    mapped = task if isinstance(task, MappedOperator) else None

    def get(name: str, default: Any = None) -> Any:
        return getattr(task, name, default)

    return TaskSpec(
        task_id=task.task_id,
        operator=task.operator_name,
        upstream_task_ids=tuple(sorted(task.upstream_task_ids)),
        downstream_task_ids=tuple(sorted(task.downstream_task_ids)),
        trigger_rule=str(get("trigger_rule", "all_success")),
        retries=int(get("retries", 0)),
        retry_delay=_seconds(get("retry_delay")) or 0.0,
        retry_exponential_backoff=bool(get("retry_exponential_backoff", False)),
        max_retry_delay=_seconds(get("max_retry_delay")),
        execution_timeout=_seconds(get("execution_timeout")),
        pool=get("pool", "default_pool"),
        pool_slots=int(get("pool_slots", 1)),
        queue=get("queue", "default"),
        priority_weight=weight,
        max_active_tis_per_dag=get("max_active_tis_per_dag"),
        max_active_tis_per_dagrun=get("max_active_tis_per_dagrun"),
        expand=expand_spec(mapped.expand_input) if mapped is not None else None,
        task_group_id=group.group_id if group is not None and not group.is_root else None,
        mapped_group_ids=_mapped_group_ids(task),
        map_index_template=get("map_index_template"),
        template_fields=tuple(task.template_fields),
        feeds_mapping=feeds_mapping,
        owner=str(get("owner", "dagmap")),
        doc_md=get("doc_md"),
        ui_color=str(get("ui_color", "#fff")),
        ui_fgcolor=str(get("ui_fgcolor", "#000")),
        start_date=get("start_date"),
        end_date=get("end_date"),
        depends_on_past=bool(get("depends_on_past", False)),
        is_setup=bool(get("is_setup", False)),
        is_teardown=bool(get("is_teardown", False)),
        on_failure_fail_dagrun=bool(get("on_failure_fail_dagrun", False)),
        outlets=tuple(
            AssetSpec(uri=a.uri, name=a.name, group=a.group, extra=a.extra) for a in get("outlets", None) or ()
        ),
    )


def group_spec(group: TaskGroup) -> TaskGroupSpec:
    assert group.group_id is not None
    parent = group.parent_group
    return TaskGroupSpec(
        group_id=group.group_id,
        parent_group_id=parent.group_id if parent is not None and not parent.is_root else None,
        tooltip=group.tooltip,
        expand=expand_spec(group.expand_input) if isinstance(group, MappedTaskGroup) else None,
        ui_color=group.ui_color,
    )


def dag_to_spec(dag: DAG) -> DagSpec:
    """The serialized form of ``dag`` (call ``dag.validate()`` first; cycles raise CycleError here too)."""
    order = topological_order(dag)
    weights = _priority_weights(dag, order)
    feeding = _feeding_task_ids(dag)
    tasks = tuple(task_spec(dag.task_dict[t], weight=weights[t], feeds_mapping=t in feeding) for t in order)
    edges = tuple(
        EdgeSpec(source=task_id, target=downstream, label=dag.get_edge_label(task_id, downstream))
        for task_id in sorted(dag.task_dict)
        for downstream in sorted(dag.task_dict[task_id].downstream_task_ids)
    )
    groups = tuple(group_spec(g) for g in sorted(dag.task_group_dict.values(), key=lambda g: g.group_id or ""))
    return DagSpec(
        dag_id=dag.dag_id,
        fileloc=dag.fileloc,
        description=dag.description,
        doc_md=dag.doc_md,
        timetable=dag.timetable.serialize(),
        timetable_summary=dag.timetable.summary,
        timezone=timezone_name(dag.timezone),
        start_date=dag.start_date,
        end_date=dag.end_date,
        catchup=dag.catchup,
        max_active_runs=dag.max_active_runs,
        max_active_tasks=dag.max_active_tasks,
        dagrun_timeout=_seconds(dag.dagrun_timeout),
        is_paused_upon_creation=dag.is_paused_upon_creation,
        params=dag.params.serialize(),
        tags=tuple(dag.tags),
        owner=dag.owner,
        has_on_success_callback=bool(dag.on_success_callback),
        has_on_failure_callback=bool(dag.on_failure_callback),
        tasks=tasks,
        task_groups=groups,
        edges=edges,
    )
