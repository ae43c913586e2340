"""ORM rows of the metadata database (``*Row``). Schema changes need an Alembic migration in migrations/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from dagmap.store.types import UtcDateTime

ID = String(250)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DagRow(Base):
    __tablename__ = "dag"

    dag_id: Mapped[str] = mapped_column(ID, primary_key=True)
    fileloc: Mapped[str] = mapped_column(Text)
    is_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_parsed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    description: Mapped[str | None] = mapped_column(Text)
    owners: Mapped[str | None] = mapped_column(String(2000))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    timetable_summary: Mapped[str | None] = mapped_column(String(1000))
    max_active_runs: Mapped[int] = mapped_column(Integer, default=16)
    max_active_tasks: Mapped[int] = mapped_column(Integer, default=16)
    next_dagrun: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_dagrun_data_interval_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_dagrun_data_interval_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_dagrun_create_after: Mapped[datetime | None] = mapped_column(UtcDateTime)
    spec_hash: Mapped[str | None] = mapped_column(String(64))


class SerializedDagRow(Base):
    __tablename__ = "serialized_dag"

    dag_id: Mapped[str] = mapped_column(ID, primary_key=True)
    fileloc: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)
    """``dagmap.model.spec`` JSON."""
    spec_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DagRunRow(Base):
    __tablename__ = "dag_run"
    __table_args__ = (
        UniqueConstraint("dag_id", "run_id"),
        Index("ix_dag_run_dag_id_state", "dag_id", "state"),
        Index("ix_dag_run_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dag_id: Mapped[str] = mapped_column(ID)
    run_id: Mapped[str] = mapped_column(ID)
    logical_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    data_interval_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    data_interval_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    run_after: Mapped[datetime | None] = mapped_column(UtcDateTime)
    run_type: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(50))
    conf: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    spec_hash: Mapped[str | None] = mapped_column(String(64))
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    start_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_scheduling_decision: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clear_number: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)


class TaskInstanceRow(Base):
    __tablename__ = "task_instance"
    __table_args__ = (
        Index("ix_task_instance_run_state", "dag_id", "run_id", "state"),
        Index("ix_task_instance_state_pool", "state", "pool"),
        Index("ix_task_instance_dag_task_state", "dag_id", "task_id", "state"),
    )

    dag_id: Mapped[str] = mapped_column(ID, primary_key=True)
    run_id: Mapped[str] = mapped_column(ID, primary_key=True)
    task_id: Mapped[str] = mapped_column(ID, primary_key=True)
    map_index: Mapped[int] = mapped_column(Integer, primary_key=True, default=-1)
    state: Mapped[str | None] = mapped_column(String(20))
    try_number: Mapped[int] = mapped_column(Integer, default=0)
    """Tries started so far: 0 before the first, 1 during and after the first."""
    max_tries: Mapped[int] = mapped_column(Integer, default=0)
    start_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    duration: Mapped[float | None] = mapped_column(Float)
    hostname: Mapped[str | None] = mapped_column(String(1000))
    pid: Mapped[int | None] = mapped_column(Integer)
    pool: Mapped[str] = mapped_column(String(256), default="default_pool")
    pool_slots: Mapped[int] = mapped_column(Integer, default=1)
    queue: Mapped[str] = mapped_column(String(256), default="default")
    priority_weight: Mapped[int] = mapped_column(Integer, default=1)
    operator: Mapped[str | None] = mapped_column(String(1000))
    rendered_map_index: Mapped[str | None] = mapped_column(String(250))
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """When an ``up_for_retry`` instance becomes eligible again."""
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    executor: Mapped[str | None] = mapped_column(String(1000))
    external_executor_id: Mapped[str | None] = mapped_column(String(250))
    queued_by: Mapped[str | None] = mapped_column(String(250))
    """The scheduler (job id) that queued it: used to adopt orphans after a scheduler dies."""
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class TaskInstanceHistoryRow(Base):
    """One row per finished try of a task instance (the current try lives in task_instance)."""

    __tablename__ = "task_instance_history"
    __table_args__ = (Index("ix_task_instance_history_key", "dag_id", "run_id", "task_id", "map_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dag_id: Mapped[str] = mapped_column(ID)
    run_id: Mapped[str] = mapped_column(ID)
    task_id: Mapped[str] = mapped_column(ID)
    map_index: Mapped[int] = mapped_column(Integer)
    try_number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str | None] = mapped_column(String(20))
    start_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    duration: Mapped[float | None] = mapped_column(Float)
    hostname: Mapped[str | None] = mapped_column(String(1000))
    error: Mapped[str | None] = mapped_column(Text)


class TaskMapRow(Base):
    """Length (and dict keys) of a value an upstream pushed for a downstream to expand over."""

    __tablename__ = "task_map"
    __table_args__ = (
        ForeignKeyConstraint(
            ["dag_id", "run_id", "task_id", "map_index"],
            ["task_instance.dag_id", "task_instance.run_id", "task_instance.task_id", "task_instance.map_index"],
            ondelete="CASCADE",
        ),
    )

    dag_id: Mapped[str] = mapped_column(ID, primary_key=True)
    run_id: Mapped[str] = mapped_column(ID, primary_key=True)
    task_id: Mapped[str] = mapped_column(ID, primary_key=True)
    map_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    length: Mapped[int] = mapped_column(Integer)
    keys: Mapped[list[Any] | None] = mapped_column(JSON)


class XComRow(Base):
    __tablename__ = "xcom"
    __table_args__ = (Index("ix_xcom_task", "dag_id", "run_id", "task_id", "key"),)

    dag_id: Mapped[str] = mapped_column(ID, primary_key=True)
    run_id: Mapped[str] = mapped_column(ID, primary_key=True)
    task_id: Mapped[str] = mapped_column(ID, primary_key=True)
    map_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    """``dagmap.xcom.serde`` JSON, or a reference to the object store."""
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)


class RenderedFieldsRow(Base):
    __tablename__ = "rendered_task_instance_fields"

    dag_id: Mapped[str] = mapped_column(ID, primary_key=True)
    run_id: Mapped[str] = mapped_column(ID, primary_key=True)
    task_id: Mapped[str] = mapped_column(ID, primary_key=True)
    map_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    rendered_fields: Mapped[dict[str, Any]] = mapped_column(JSON)


class ImportErrorRow(Base):
    __tablename__ = "import_error"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    filename: Mapped[str] = mapped_column(Text, unique=True)
    error: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)


class ConnectionRow(Base):
    __tablename__ = "connection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conn_id: Mapped[str] = mapped_column(ID, unique=True)
    conn_type: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(500))
    schema: Mapped[str | None] = mapped_column(String(500))
    login: Mapped[str | None] = mapped_column(Text)
    password: Mapped[str | None] = mapped_column(Text)
    """Fernet-encrypted."""
    port: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[str | None] = mapped_column(Text)
    """Fernet-encrypted JSON."""


class VariableRow(Base):
    __tablename__ = "variable"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(ID, unique=True)
    val: Mapped[str | None] = mapped_column(Text)
    """Fernet-encrypted."""
    description: Mapped[str | None] = mapped_column(Text)


class PoolRow(Base):
    __tablename__ = "slot_pool"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pool: Mapped[str] = mapped_column(String(256), unique=True)
    slots: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)


class JobRow(Base):
    """A long-running process (scheduler, worker) and its heartbeat."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_type_state", "job_type", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_type: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20))
    hostname: Mapped[str | None] = mapped_column(String(500))
    pid: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[datetime] = mapped_column(UtcDateTime)
    end_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    latest_heartbeat: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditLogRow(Base):
    __tablename__ = "log"
    __table_args__ = (Index("ix_log_dag_id", "dag_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dttm: Mapped[datetime] = mapped_column(UtcDateTime)
    event: Mapped[str] = mapped_column(String(60))
    dag_id: Mapped[str | None] = mapped_column(ID)
    task_id: Mapped[str | None] = mapped_column(ID)
    run_id: Mapped[str | None] = mapped_column(ID)
    map_index: Mapped[int | None] = mapped_column(Integer)
    owner: Mapped[str | None] = mapped_column(String(500))
    extra: Mapped[str | None] = mapped_column(Text)


class DagCallbackRequestRow(Base):
    """A DAG-level callback to run in the DAG processor (recorded by the scheduler when a run ends)."""

    __tablename__ = "dag_callback_request"
    __table_args__ = (Index("ix_dag_callback_request_state", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dag_id: Mapped[str] = mapped_column(ID)
    run_id: Mapped[str] = mapped_column(ID)
    fileloc: Mapped[str] = mapped_column(Text)
    is_failure: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(60))
    """Airflow's reason: ``success``, ``task_failure``, ``all_tasks_deadlocked``, ``timed_out``."""
    detail: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    """``pending`` -> ``running`` (claimed by one processor) -> ``success`` or ``failed``."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(500))
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(Text)


# --- assets (data-aware scheduling) ------------------------------------------------------------------------


class AssetRow(Base):
    """An asset some DAG is scheduled on or some task produces, identified by its URI."""

    __tablename__ = "asset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uri: Mapped[str] = mapped_column(String(1500), unique=True)
    name: Mapped[str] = mapped_column(String(1500))
    group: Mapped[str] = mapped_column(String(1500), default="asset")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AssetEventRow(Base):
    """One update of an asset: a successful try of a task with the asset in its outlets."""

    __tablename__ = "asset_event"
    __table_args__ = (
        ForeignKeyConstraint(["asset_id"], ["asset.id"], ondelete="CASCADE"),
        Index("ix_asset_event_asset_id_timestamp", "asset_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asset_id: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_dag_id: Mapped[str | None] = mapped_column(ID)
    source_task_id: Mapped[str | None] = mapped_column(ID)
    source_run_id: Mapped[str | None] = mapped_column(ID)
    source_map_index: Mapped[int | None] = mapped_column(Integer)


class AssetDagRunQueueRow(Base):
    """An asset updated since the target DAG's last asset-triggered run: the scheduler's to-do list.

    ``created_at`` is no later than the earliest of those updates' events (the run consumes the events of the
    asset from then on).
    """

    __tablename__ = "asset_dag_run_queue"
    __table_args__ = (ForeignKeyConstraint(["asset_id"], ["asset.id"], ondelete="CASCADE"),)

    asset_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_dag_id: Mapped[str] = mapped_column(ID, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DagScheduleAssetReferenceRow(Base):
    """DAG ``dag_id`` is scheduled on (a condition naming) asset ``asset_id``; kept when its spec is stored."""

    __tablename__ = "dag_schedule_asset_reference"
    __table_args__ = (
        ForeignKeyConstraint(["asset_id"], ["asset.id"], ondelete="CASCADE"),
        Index("ix_dag_schedule_asset_reference_dag_id", "dag_id"),
    )

    asset_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dag_id: Mapped[str] = mapped_column(ID, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TaskOutletAssetReferenceRow(Base):
    """Task ``dag_id.task_id`` has asset ``asset_id`` in its outlets; kept when its DAG's spec is stored."""

    __tablename__ = "task_outlet_asset_reference"
    __table_args__ = (
        ForeignKeyConstraint(["asset_id"], ["asset.id"], ondelete="CASCADE"),
        Index("ix_task_outlet_asset_reference_dag_id", "dag_id"),
    )

    asset_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dag_id: Mapped[str] = mapped_column(ID, primary_key=True)
    task_id: Mapped[str] = mapped_column(ID, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DagRunAssetEventRow(Base):
    """Asset event ``event_id`` triggered (was consumed by) run ``dag_run_id``."""

    __tablename__ = "dagrun_asset_event"
    __table_args__ = (
        ForeignKeyConstraint(["dag_run_id"], ["dag_run.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["event_id"], ["asset_event.id"], ondelete="CASCADE"),
        Index("ix_dagrun_asset_event_event_id", "event_id"),
    )

    dag_run_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, primary_key=True)
