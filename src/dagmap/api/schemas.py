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


class LatestRun(Out):
    dag_run_id: str
    state: str
    logical_date: datetime | None
    run_type: str


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
    asset_expression: dict[str, Any] | None = None
    """The asset condition of a DAG scheduled on assets (``timetable_summary`` is then ``Asset``)."""
    latest_runs: list[LatestRun] | None = None
    """With ``?with_latest_runs=N`` (lists only): the DAG's latest N runs, newest first."""

    @classmethod
    def of(cls, row: Any, *, asset_expression: dict[str, Any] | None = None, latest_runs: Any = None) -> Dag:
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
            asset_expression=asset_expression,
            latest_runs=None
            if latest_runs is None
            else [
                LatestRun(dag_run_id=r.run_id, state=r.state, logical_date=r.logical_date, run_type=r.run_type)
                for r in latest_runs
            ],
        )

    @classmethod
    def page(cls, page: Any) -> list[Dag]:
        """The DAGs of a ``DagPage``."""
        return [
            cls.of(
                row,
                asset_expression=page.asset_expressions.get(row.dag_id),
                latest_runs=None if page.latest_runs is None else page.latest_runs.get(row.dag_id, []),
            )
            for row in page.rows
        ]


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


# --- assets ----------------------------------------------------------------------------------------------------


class CreatedDagRun(Out):
    dag_id: str
    dag_run_id: str
    state: str
    logical_date: datetime | None


class AssetEvent(Out):
    id: int
    asset_id: int
    asset_uri: str
    extra: dict[str, Any]
    timestamp: datetime
    source_dag_id: str | None
    source_task_id: str | None
    source_run_id: str | None
    source_map_index: int | None
    created_dagruns: list[CreatedDagRun]

    @classmethod
    def of(cls, record: Any) -> AssetEvent:
        return cls(
            id=record.id,
            asset_id=record.asset_id,
            asset_uri=record.uri,
            extra=record.extra,
            timestamp=record.timestamp,
            source_dag_id=record.source_dag_id,
            source_task_id=record.source_task_id,
            source_run_id=record.source_run_id,
            source_map_index=record.source_map_index,
            created_dagruns=[
                CreatedDagRun(dag_id=r.dag_id, dag_run_id=r.run_id, state=r.state, logical_date=r.logical_date)
                for r in record.created_runs
            ],
        )


class AssetEventCollection(Out):
    asset_events: list[AssetEvent]
    total_entries: int


class ProducingTask(Out):
    dag_id: str
    task_id: str


class Asset(Out):
    id: int
    uri: str
    name: str
    group: str
    extra: dict[str, Any]
    created_at: datetime
    consuming_dags: list[str]
    producing_tasks: list[ProducingTask]
    last_event: AssetEvent | None

    @classmethod
    def of(cls, record: Any) -> Asset:
        return cls(
            id=record.id,
            uri=record.uri,
            name=record.name,
            group=record.group,
            extra=record.extra,
            created_at=record.created_at,
            consuming_dags=record.consuming_dag_ids,
            producing_tasks=[ProducingTask(dag_id=d, task_id=t) for d, t in record.producing_tasks],
            last_event=AssetEvent.of(record.last_event) if record.last_event else None,
        )


class AssetCollection(Out):
    assets: list[Asset]
    total_entries: int
