"""Frozen specs of a DAG, its tasks, task groups and mapping inputs, with a versioned JSON codec.

The scheduler decides everything from these and database rows: it never imports user code. Keep every
field JSON-friendly; bump ``FORMAT_VERSION`` when a change is not backward compatible.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FORMAT_VERSION = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- mapping inputs: how long is each expand argument, and where does it come from --------------------


class LiteralInput(_Frozen):
    """A list/tuple (one instance per element) or a dict (one per ``(key, value)`` item) in the DAG file."""

    kind: Literal["literal"] = "literal"
    length: int


class XComInput(_Frozen):
    """The value an upstream task pushed. If that task is mapped, the sequence of its instances' values."""

    kind: Literal["xcom"] = "xcom"
    task_id: str
    key: str = "return_value"


class MapInput(_Frozen):
    """``source.map(fn)``: same length as the source; ``fn`` runs inside each downstream instance."""

    kind: Literal["map"] = "map"
    source: InputSpec


class ZipInput(_Frozen):
    """``a.zip(b, ...)``: shortest length, or the longest when a ``fillvalue`` is given."""

    kind: Literal["zip"] = "zip"
    sources: tuple[InputSpec, ...]
    longest: bool = False


class ConcatInput(_Frozen):
    """``a.concat(b, ...)``: lengths add."""

    kind: Literal["concat"] = "concat"
    sources: tuple[InputSpec, ...]


InputSpec = Annotated[
    LiteralInput | XComInput | MapInput | ZipInput | ConcatInput,
    Field(discriminator="kind"),
]
MapInput.model_rebuild()
ZipInput.model_rebuild()
ConcatInput.model_rebuild()


class ExpandSpec(_Frozen):
    """How a mapped task (or mapped task group) expands.

    ``product``: ``expand(a=..., b=...)``; instances = cross product, last argument varying fastest.
    ``list_of_dicts``: ``expand_kwargs(...)``; one instance per element of the single input.
    """

    kind: Literal["product", "list_of_dicts"]
    arguments: tuple[tuple[str, InputSpec], ...]
    """``(argument name, input)`` in the order written; one unnamed ``("", input)`` for list_of_dicts."""


# --- tasks, groups, DAGs --------------------------------------------------------------------------------


class AssetSpec(_Frozen):
    """An asset a task produces (its ``outlets``): identified by ``uri``."""

    uri: str
    name: str
    group: str = "asset"
    extra: dict[str, Any] = Field(default_factory=dict)


class TaskSpec(_Frozen):
    task_id: str
    operator: str
    """The operator class name shown to users (``PythonOperator``, ``_PythonDecoratedOperator`` -> ``@task``)."""
    upstream_task_ids: tuple[str, ...] = ()
    downstream_task_ids: tuple[str, ...] = ()
    trigger_rule: str = "all_success"
    retries: int = 0
    retry_delay: float = 300.0
    retry_exponential_backoff: bool = False
    max_retry_delay: float | None = None
    execution_timeout: float | None = None
    pool: str = "default_pool"
    pool_slots: int = 1
    queue: str = "default"
    priority_weight: int = 1
    """The effective weight (Airflow's default rule, ``downstream``, already applied)."""
    max_active_tis_per_dag: int | None = None
    max_active_tis_per_dagrun: int | None = None
    expand: ExpandSpec | None = None
    """Set when the task itself is mapped (``.expand`` / ``.expand_kwargs``)."""
    task_group_id: str | None = None
    mapped_group_ids: tuple[str, ...] = ()
    """The mapped task groups this task is inside, outermost first. Its instances follow theirs."""
    map_index_template: str | None = None
    template_fields: tuple[str, ...] = ()
    feeds_mapping: bool = False
    """Some downstream task or group expands over this task's output: record its length in task_map."""
    owner: str = "dagmap"
    doc_md: str | None = None
    ui_color: str = "#fff"
    ui_fgcolor: str = "#000"
    start_date: datetime | None = None
    end_date: datetime | None = None
    depends_on_past: bool = False
    is_setup: bool = False
    is_teardown: bool = False
    on_failure_fail_dagrun: bool = False
    """A teardown whose failure fails the run (other teardowns do not count for the run's state)."""
    outlets: tuple[AssetSpec, ...] = ()
    """Assets an event is recorded for when an instance's try ends ``success``."""

    @property
    def is_mapped(self) -> bool:
        return self.expand is not None or bool(self.mapped_group_ids)


class TaskGroupSpec(_Frozen):
    group_id: str
    parent_group_id: str | None = None
    tooltip: str = ""
    expand: ExpandSpec | None = None
    """Set for a mapped task group (``@task_group`` + ``.expand``)."""
    ui_color: str = "CornflowerBlue"


class EdgeSpec(_Frozen):
    source: str
    target: str
    label: str | None = None


class DagSpec(_Frozen):
    format_version: int = FORMAT_VERSION
    dag_id: str
    fileloc: str
    description: str | None = None
    doc_md: str | None = None
    timetable: dict[str, Any] = Field(default_factory=lambda: {"type": "null"})
    """``dagmap.timetables`` serialized form."""
    timetable_summary: str | None = None
    timezone: str = "UTC"
    start_date: datetime | None = None
    end_date: datetime | None = None
    catchup: bool = False
    max_active_runs: int = 16
    max_active_tasks: int = 16
    dagrun_timeout: float | None = None
    is_paused_upon_creation: bool | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    """Param name -> ``{"value": default, "description": ..., "schema": {...}}``."""
    tags: tuple[str, ...] = ()
    owner: str = "dagmap"
    has_on_success_callback: bool = False
    has_on_failure_callback: bool = False
    """The DAG defines DAG-level callbacks: the scheduler asks the DAG processor to run them when a run ends."""
    tasks: tuple[TaskSpec, ...]
    """Topologically sorted (ties broken by task id)."""
    task_groups: tuple[TaskGroupSpec, ...] = ()
    edges: tuple[EdgeSpec, ...] = ()

    def task(self, task_id: str) -> TaskSpec:
        return self.tasks_by_id[task_id]

    @cached_property
    def tasks_by_id(self) -> dict[str, TaskSpec]:
        return {t.task_id: t for t in self.tasks}

    def group(self, group_id: str) -> TaskGroupSpec:
        for group in self.task_groups:
            if group.group_id == group_id:
                return group
        raise KeyError(group_id)


def dag_spec_to_json(spec: DagSpec) -> str:
    """Deterministic JSON: the same DAG always gives the same text (and hash)."""
    return json.dumps(spec.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def dag_spec_from_json(text: str | bytes | dict[str, Any]) -> DagSpec:
    data = json.loads(text) if isinstance(text, (str, bytes)) else text
    version = data.get("format_version", FORMAT_VERSION)
    if version > FORMAT_VERSION:
        raise ValueError(f"serialized DAG format {version} is newer than this dagmap understands ({FORMAT_VERSION})")
    return DagSpec.model_validate(data)


def spec_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
