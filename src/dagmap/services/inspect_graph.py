"""``dags show``: a DAG's shape from its stored spec (no user code when the DAG is stored) as a text listing or
Graphviz DOT text, optionally with one run's instance states per task. Pure formatting over specs and counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dagmap.model.spec import DagSpec, ExpandSpec, InputSpec, TaskGroupSpec, TaskSpec
from dagmap.services.dags import RunSummary, find_run, get_spec
from dagmap.states import TaskInstanceState, aggregate_state
from dagmap.store.queries import Session, management

S = TaskInstanceState
StateCounts = Mapping[TaskInstanceState | None, int]
STATE_ORDER: tuple[TaskInstanceState | None, ...] = (
    S.SUCCESS,
    S.FAILED,
    S.UPSTREAM_FAILED,
    S.SKIPPED,
    S.UP_FOR_RETRY,
    S.UP_FOR_RESCHEDULE,
    S.RUNNING,
    S.DEFERRED,
    S.RESTARTING,
    S.QUEUED,
    S.SCHEDULED,
    None,
    S.REMOVED,
)
STATE_COLORS: dict[TaskInstanceState | None, str] = {
    S.SUCCESS: "#90ee90",
    S.FAILED: "#ff6347",
    S.UPSTREAM_FAILED: "#ffa500",
    S.SKIPPED: "#ffb6c1",
    S.UP_FOR_RETRY: "#ffd700",
    S.UP_FOR_RESCHEDULE: "#40e0d0",
    S.RUNNING: "#7cfc00",
    S.DEFERRED: "#9370db",
    S.RESTARTING: "#ee82ee",
    S.QUEUED: "#d3d3d3",
    S.SCHEDULED: "#d2b48c",
    S.REMOVED: "#c0c0c0",
    None: "#ffffff",
}
"""Fill colors of the DOT nodes by a task's aggregate state (Airflow's state colors)."""


@dataclass(frozen=True)
class DagShape:
    spec: DagSpec
    run: RunSummary | None = None
    counts: Mapping[str, StateCounts] | None = None
    """``{task_id: {state: instances}}`` of ``run``."""


def dag_shape(session: Session, dag_id: str, *, dags_folder: Path | None = None, run: str | None = None) -> DagShape:
    """The DAG's stored spec (parsed from ``dags_folder`` and stored when it is not stored yet), and with ``run``
    (a run id or logical date) the state counts of each task's instances in that run."""
    spec = get_spec(session, dag_id, dags_folder=dags_folder)
    if run is None:
        return DagShape(spec)
    summary = find_run(session, dag_id, run)
    return DagShape(spec, summary, management.state_counts_by_task(session, dag_id, summary.run_id))


# --- describing mapping ----------------------------------------------------------------------------------


def describe_input(value: InputSpec) -> str:
    """``get_files``, ``get_files["key"]``, ``3 literal values``, ``a.map(...)``, ``a.zip(b)``, ``a.concat(b)``."""
    if value.kind == "literal":
        return f"{value.length} literal value{'s' if value.length != 1 else ''}"
    if value.kind == "xcom":
        return value.task_id if value.key == "return_value" else f"{value.task_id}[{value.key!r}]"
    if value.kind == "map":
        return f"{describe_input(value.source)}.map(...)"
    head, *rest = value.sources
    return f"{describe_input(head)}.{value.kind}({', '.join(describe_input(source) for source in rest)})"


def describe_expand(expand: ExpandSpec) -> str:
    """``over get_files``; ``over x=get_files, y=3 literal values (cross product)``;
    ``with .expand_kwargs over make_kwargs``."""
    if expand.kind == "list_of_dicts":
        return f"with .expand_kwargs over {describe_input(expand.arguments[0][1])}"
    if len(expand.arguments) == 1:
        return f"over {describe_input(expand.arguments[0][1])}"
    arguments = ", ".join(f"{name}={describe_input(value)}" for name, value in expand.arguments)
    return f"over {arguments} (cross product)"


def task_marks(spec: DagSpec, task: TaskSpec, *, groups: bool = True) -> list[str]:
    """What is special about a task: its mapping, its mapped groups (unless ``groups`` is False), a trigger
    rule that is not all_success, setup / teardown."""
    marks: list[str] = []
    if task.expand is not None:
        marks.append(f"mapped {describe_expand(task.expand)}")
    for group_id in task.mapped_group_ids if groups else ():
        group = spec.group(group_id)
        how = f" {describe_expand(group.expand)}" if group.expand is not None else ""
        marks.append(f"in mapped group {group_id}{how}")
    if task.trigger_rule != "all_success":
        marks.append(f"trigger_rule={task.trigger_rule}")
    if task.is_setup:
        marks.append("setup")
    if task.is_teardown:
        marks.append("teardown")
    return marks


def counts_text(counts: StateCounts) -> str:
    """``3 success, 1 failed`` (no status shown as ``no status``)."""
    ordered = sorted(counts.items(), key=lambda item: STATE_ORDER.index(item[0]) if item[0] in STATE_ORDER else 99)
    return ", ".join(f"{number} {state.value if state else 'no status'}" for state, number in ordered)


# --- text ------------------------------------------------------------------------------------------------


def shape_text(shape: DagShape) -> list[str]:
    """A heading, then one line per task in topological order::

    copy_to_warehouse <S3ToSqlOperator> [mapped over get_files] <- get_files | 3 success, 1 failed
    """
    spec = shape.spec
    lines = [f"DAG {spec.dag_id} ({len(spec.tasks)} tasks, {spec.fileloc})"]
    if shape.run is not None:
        lines.append(f"run {shape.run.run_id}: {shape.run.state}")
    for task in spec.tasks:
        line = f"{task.task_id} <{task.operator}>"
        line += "".join(f" [{mark}]" for mark in task_marks(spec, task))
        if task.upstream_task_ids:
            line += " <- " + ", ".join(task.upstream_task_ids)
        if shape.counts is not None:
            line += " | " + (counts_text(shape.counts[task.task_id]) if task.task_id in shape.counts else "no instance")
        lines.append(line)
    return lines


# --- DOT -------------------------------------------------------------------------------------------------


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _node(spec: DagSpec, task: TaskSpec, counts: StateCounts | None, indent: str) -> str:
    # The cluster around a task in a mapped group says how the group maps.
    label = [task.task_id, task.operator, *(f"[{mark}]" for mark in task_marks(spec, task, groups=False))]
    attributes = {"fillcolor": task.ui_color, "fontcolor": task.ui_fgcolor}
    if counts is not None:
        label.append(counts_text(counts) if counts else "no instance")
        attributes["fillcolor"] = STATE_COLORS[aggregate_state(set(counts)) if counts else None]
    if task.is_mapped:
        attributes["peripheries"] = "2"  # a stack of instances
    attributes["label"] = "\n".join(label)
    rendered = ", ".join(f"{name}={_quote(value)}" for name, value in attributes.items())
    return f"{indent}{_quote(task.task_id)} [{rendered}];"


def shape_dot(shape: DagShape) -> str:
    """Graphviz DOT text: task groups as clusters (mapped ones labelled with their mapping), mapped tasks with a
    double border, and with a run each task filled by its aggregate state and labelled with its counts."""
    spec = shape.spec
    children: dict[str | None, list[TaskGroupSpec]] = {}
    for group in spec.task_groups:
        children.setdefault(group.parent_group_id, []).append(group)
    tasks_in: dict[str | None, list[TaskSpec]] = {}
    for task in spec.tasks:
        tasks_in.setdefault(task.task_group_id, []).append(task)
    title = spec.dag_id + (f"\n{shape.run.run_id}: {shape.run.state}" if shape.run is not None else "")
    lines = [
        f"digraph {_quote(spec.dag_id)} {{",
        f"  graph [rankdir=LR, labelloc=t, fontname=Helvetica, label={_quote(title)}];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica];',
        "  edge [arrowsize=0.7];",
    ]

    def emit(group_id: str | None, indent: str) -> None:
        for task in tasks_in.get(group_id, []):
            counts = None if shape.counts is None else shape.counts.get(task.task_id, {})
            lines.append(_node(spec, task, counts, indent))
        for group in children.get(group_id, []):
            label = group.group_id + (f"\n[mapped {describe_expand(group.expand)}]" if group.expand else "")
            lines.append(f"{indent}subgraph {_quote('cluster_' + group.group_id)} {{")
            style = "rounded,dashed" if group.expand is not None else "rounded"
            lines.append(f"{indent}  label={_quote(label)}; style={_quote(style)};")
            emit(group.group_id, indent + "  ")
            lines.append(f"{indent}}}")

    emit(None, "  ")
    labels = {(edge.source, edge.target): edge.label for edge in spec.edges}
    for task in spec.tasks:
        for downstream in task.downstream_task_ids:
            label = labels.get((task.task_id, downstream))
            suffix = f" [label={_quote(label)}]" if label else ""
            lines.append(f"  {_quote(task.task_id)} -> {_quote(downstream)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"
