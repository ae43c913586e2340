"""Pydantic shapes of the REST API (docs/api.md): request bodies refuse unknown fields; responses are built from
service results with ``of(...)``. Only this module knows the JSON names (``dag_run_id``, ``queued_when``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    pass


# --- DAGs ----------------------------------------------------------------------------------------------------


class Tag(Out):
    name: str


class Dag(Out):
    dag_id: str
    fileloc: str
    is_paused: bool
    is_active: bool
    description: str | None
    owners: list[str]
    tags: list[Tag]
    timetable_summary: str | None
    max_active_runs: int
    max_active_tasks: int
    next_dagrun: datetime | None
    next_dagrun_data_interval_start: datetime | None
    next_dagrun_data_interval_end: datetime | None
    last_parsed_time: datetime | None

    @classmethod
    def of(cls, row: Any) -> Dag:
        owners = [owner.strip() for owner in (row.owners or "").split(",") if owner.strip()]
        return cls(
            dag_id=row.dag_id,
            fileloc=row.fileloc,
            is_paused=bool(row.is_paused),
            is_active=bool(row.is_active),
            description=row.description,
            owners=owners,
            tags=[Tag(name=tag) for tag in sorted(row.tags or [])],
            timetable_summary=row.timetable_summary,
            max_active_runs=row.max_active_runs,
            max_active_tasks=row.max_active_tasks,
            next_dagrun=row.next_dagrun,
            next_dagrun_data_interval_start=row.next_dagrun_data_interval_start,
            next_dagrun_data_interval_end=row.next_dagrun_data_interval_end,
            last_parsed_time=row.last_parsed_at,
        )


class DagCollection(Out):
    dags: list[Dag]
    total_entries: int


class DagPatch(Body):
    is_paused: bool


class Task(Out):
    task_id: str
    operator_name: str
    is_mapped: bool
    upstream_task_ids: list[str]
    downstream_task_ids: list[str]
    trigger_rule: str
    retries: int
    pool: str
    queue: str
    task_group_id: str | None
    is_setup: bool
    is_teardown: bool
    expand: str | None


class TaskCollection(Out):
    tasks: list[Task]
    total_entries: int


class GraphNode(Out):
    id: str
    label: str
    operator: str
    is_mapped: bool
    group_id: str | None
    is_setup: bool
    is_teardown: bool
    state: str | None
    counts: dict[str, int] | None
    expanded: bool | None = None
    """For a mapped task in the run: whether it has expanded (else ``counts`` is its placeholder's)."""


class GraphEdge(Out):
    source: str
    target: str
    label: str | None


class GraphGroup(Out):
    id: str
    label: str
    parent_id: str | None
    is_mapped: bool


class Graph(Out):
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    groups: list[GraphGroup]


# --- runs ----------------------------------------------------------------------------------------------------


class DagRun(Out):
    dag_id: str
    dag_run_id: str
    logical_date: datetime | None
    data_interval_start: datetime | None
    data_interval_end: datetime | None
    run_type: str
    state: str
    conf: dict[str, Any]
    queued_at: datetime | None
    start_date: datetime | None
    end_date: datetime | None
    note: str | None

    @classmethod
    def of(cls, row: Any) -> DagRun:
        return cls(
            dag_id=row.dag_id,
            dag_run_id=row.run_id,
            logical_date=row.logical_date,
            data_interval_start=row.data_interval_start,
            data_interval_end=row.data_interval_end,
            run_type=row.run_type,
            state=row.state,
            conf=dict(row.conf or {}),
            queued_at=row.queued_at,
            start_date=row.start_date,
            end_date=row.end_date,
            note=row.note,
        )


class DagRunCollection(Out):
    dag_runs: list[DagRun]
    total_entries: int


class TriggerBody(Body):
    dag_run_id: str | None = None
    logical_date: AwareDatetime | None = None
    conf: dict[str, Any] | None = None
    note: str | None = None


class DagRunPatch(Body):
    state: Literal["success", "failed", "queued"]


class ClearRunBody(Body):
    dry_run: bool = True
    only_failed: bool = False


class GridInstances(Out):
    state: str | None
    counts: dict[str, int]
    total: int
    expanded: bool | None = None
    """For a mapped task: whether it has expanded (else ``total`` counts its placeholder at map index -1)."""


class GridTask(Out):
    task_id: str
    group_id: str | None
    is_mapped: bool
    instances: dict[str, GridInstances]


class Grid(Out):
    dag_runs: list[DagRun]
    tasks: list[GridTask]


# --- task instances ------------------------------------------------------------------------------------------


class TaskInstance(Out):
    dag_id: str
    dag_run_id: str
    task_id: str
    map_index: int
    rendered_map_index: str | None
    state: str | None
    try_number: int
    max_tries: int
    start_date: datetime | None
    end_date: datetime | None
    duration: float | None
    hostname: str | None
    pool: str
    queue: str
    priority_weight: int
    operator: str | None
    queued_when: datetime | None
    note: str | None

    @classmethod
    def of(cls, row: Any) -> TaskInstance:
        return cls(
            dag_id=row.dag_id,
            dag_run_id=row.run_id,
            task_id=row.task_id,
            map_index=row.map_index,
            rendered_map_index=row.rendered_map_index,
            state=row.state,
            try_number=row.try_number,
            max_tries=row.max_tries,
            start_date=row.start_date,
            end_date=row.end_date,
            duration=row.duration,
            hostname=row.hostname,
            pool=row.pool,
            queue=row.queue,
            priority_weight=row.priority_weight,
            operator=row.operator,
            queued_when=row.queued_at,
            note=row.note,
        )


class TaskInstanceDetail(TaskInstance):
    rendered_fields: dict[str, Any] | None = None


class TaskInstanceCollection(Out):
    task_instances: list[TaskInstance]
    total_entries: int


class TaskInstancePatch(Body):
    new_state: Literal["success", "failed", "skipped"]


class Try(Out):
    try_number: int
    state: str | None
    start_date: datetime | None
    end_date: datetime | None
    duration: float | None
    hostname: str | None


class TryCollection(Out):
    task_instances: list[Try]
    total_entries: int


class LogChunk(Out):
    content: str
    next_offset: int


class XComEntry(Out):
    key: str
    map_index: int
    timestamp: datetime
    value: Any


class XComCollection(Out):
    xcom_entries: list[XComEntry]
    total_entries: int


class ClearTaskInstancesBody(Body):
    dag_run_id: str | None = None
    task_ids: list[str | tuple[str, Annotated[int, Field(ge=-1, le=2**31 - 1)]]] | None = None
    only_failed: bool = False
    include_downstream: bool = True
    dry_run: bool = True
    start_date: AwareDatetime | None = None
    end_date: AwareDatetime | None = None


class InstanceReference(Out):
    dag_id: str
    dag_run_id: str
    task_id: str
    map_index: int


class InstanceReferenceCollection(Out):
    task_instances: list[InstanceReference]


# --- the rest ------------------------------------------------------------------------------------------------


class ImportErrorEntry(Out):
    import_error_id: int
    filename: str
    stack_trace: str
    timestamp: datetime


class ImportErrorCollection(Out):
    import_errors: list[ImportErrorEntry]
    total_entries: int


class Pool(Out):
    name: str
    slots: int
    description: str | None
    occupied_slots: int
    running_slots: int
    queued_slots: int
    open_slots: int


class PoolCollection(Out):
    pools: list[Pool]
    total_entries: int


class PoolBody(Body):
    name: str
    slots: int = Field(ge=0, le=2**31 - 1)
    description: str | None = None


class PoolPatch(Body):
    name: str | None = None
    slots: int | None = Field(default=None, ge=0, le=2**31 - 1)
    description: str | None = None


class Version(Out):
    version: str


class Status(Out):
    status: str


class SchedulerStatus(Out):
    status: str
    latest_scheduler_heartbeat: datetime | None


class Health(Out):
    metadatabase: Status
    scheduler: SchedulerStatus
