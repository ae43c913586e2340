"""What one try of a task instance produced, handed to the runtime client in one piece."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dagmap.states import TaskInstanceState


@dataclass(frozen=True)
class RunInfo:
    """The DAG run a task instance belongs to, as the runner needs it for the context."""

    dag_id: str
    run_id: str
    run_type: str
    logical_date: datetime | None
    data_interval_start: datetime | None
    data_interval_end: datetime | None
    conf: dict[str, Any]
    start_date: datetime | None


@dataclass(frozen=True)
class AssetUpdate:
    """An asset a successful try updated (one of its task's outlets), with the event's extra."""

    uri: str
    name: str
    group: str
    extra: dict[str, Any]


@dataclass(frozen=True)
class AssetEventInfo:
    """A recorded asset event, as a triggered run's context shows it."""

    uri: str
    name: str
    group: str
    timestamp: datetime
    extra: dict[str, Any]
    source_dag_id: str | None
    source_task_id: str | None
    source_run_id: str | None
    source_map_index: int | None
    source_run: RunInfo | None = None
    """The producing run (Airflow's ``source_dag_run``), None when it no longer exists."""


@dataclass
class TryOutcome:
    state: TaskInstanceState
    try_number: int = 0
    start_date: datetime | None = None
    end_date: datetime | None = None
    error: str | None = None
    xcoms: list[tuple[str, str]] = field(default_factory=list)
    """``(key, stored text)`` pairs, already serialized."""
    task_map: tuple[int, list[Any] | None] | None = None
    """``(length, dict keys)`` when this instance feeds a downstream expansion."""
    rendered_fields: dict[str, Any] | None = None
    rendered_map_index: str | None = None
    skip_downstream: frozenset[str] = frozenset()
    """Tasks to mark skipped after this one (branching, short-circuit): every instance."""
    skip_downstream_same_index: frozenset[str] = frozenset()
    """Tasks in the same mapped task group: skipped at this instance's map index only."""
    next_retry_at: datetime | None = None
    asset_updates: list[AssetUpdate] = field(default_factory=list)
    """Set only when the try ends ``success``: one event each is recorded with the try's end."""


@dataclass(frozen=True)
class StartedTry:
    try_number: int
    max_tries: int


@dataclass(frozen=True)
class PreviousRun:
    """The dates of the latest successful earlier run of a DAG (the context's ``prev_*_success`` keys)."""

    logical_date: datetime | None
    data_interval_start: datetime | None
    data_interval_end: datetime | None
    start_date: datetime | None
    end_date: datetime | None


@dataclass(frozen=True)
class ExternalDag:
    """What the metadata database knows of another DAG (for ``ExternalTaskSensor``)."""

    dag_id: str
    fileloc: str
    task_groups: dict[str, str | None]
    """Every task id of the DAG's stored structure, with the id of its innermost task group (None: none)."""


@dataclass(frozen=True)
class ExternalStates:
    """The states of another DAG's runs and task instances at some logical dates (``ExternalTaskSensor``)."""

    runs: dict[datetime, str]
    """Run state by logical date, for the dates that have a run."""
    instances: dict[tuple[datetime, str], dict[str | None, int]]
    """``(logical date, task id)`` → how many of the task's instances (mapped ones included, removed ones not)
    are in each state; only for the task ids asked for."""


@dataclass(frozen=True)
class TriggeredDagRun:
    """A run that a task created in another DAG (``TriggerDagRunOperator``)."""

    dag_id: str
    run_id: str
    logical_date: datetime | None
    reset: bool = False
    """The run already existed and was cleared to run again (``reset_dag_run``)."""
