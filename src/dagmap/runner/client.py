"""How the runner talks to the metadata store.

``dagmap.store.runtime_client.DirectRuntimeClient`` goes straight to the database; a later HTTP client (workers
without database access) implements the same protocol.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from dagmap.model.keys import TaskInstanceKey
from dagmap.runner.outcome import (
    AssetEventInfo,
    ExternalDag,
    ExternalStates,
    PreviousRun,
    RunInfo,
    StartedTry,
    TriggeredDagRun,
    TryOutcome,
)
from dagmap.xcom.backends import XComStorage


class RuntimeClient(Protocol):
    storage: XComStorage

    def start(self, key: TaskInstanceKey, try_number: int | None = None) -> StartedTry | None: ...

    def start_many(
        self, keys: Sequence[TaskInstanceKey], try_numbers: Mapping[TaskInstanceKey, int] | None = None
    ) -> dict[TaskInstanceKey, StartedTry]:
        """Start the next try of each startable key (of each whose next try is ``try_numbers[key]``, if
        given); the keys left out were not started."""

    def finish(self, key: TaskInstanceKey, outcome: TryOutcome) -> None: ...

    def finish_many(self, results: Sequence[tuple[TaskInstanceKey, TryOutcome]]) -> None: ...

    def run_info(self, dag_id: str, run_id: str) -> RunInfo: ...

    def previous_success(self, dag_id: str, run_id: str) -> PreviousRun | None:
        """The latest successful run of ``dag_id`` with an earlier logical date than ``run_id``'s, if any."""

    def external_dag(self, dag_id: str) -> ExternalDag | None:
        """Another DAG as the database knows it (``ExternalTaskSensor``); None when unknown."""

    def external_states(
        self, dag_id: str, logical_dates: Sequence[datetime], task_ids: Sequence[str] | None
    ) -> ExternalStates:
        """The states of another DAG's runs at ``logical_dates`` and of its ``task_ids``' instances there."""

    def trigger_dag_run(
        self, dag_id: str, *, run_id: str | None, logical_date: datetime, conf: Mapping[str, Any], reset: bool
    ) -> TriggeredDagRun:
        """Create a queued manual run of another DAG (conf checked against its params); with ``reset``, an
        existing run of that id is cleared to run again, else DagRunAlreadyExists."""

    def dag_run_state(self, dag_id: str, run_id: str) -> str | None:
        """A run's state; None when there is no such run."""

    def dag_is_paused(self, dag_id: str) -> bool | None:
        """The DAG's pause flag; None when the database does not know the DAG."""

    def get_xcom(self, key: TaskInstanceKey, xcom_key: str) -> Any: ...

    def triggering_asset_events(self, dag_id: str, run_id: str) -> Sequence[AssetEventInfo]:
        """The asset events that triggered a run, oldest first (empty for runs not triggered by assets)."""

    def mapped_xcoms(self, dag_id: str, run_id: str, task_id: str, xcom_key: str) -> Sequence[Any]: ...

    def pushed_count(self, dag_id: str, run_id: str, task_id: str, xcom_key: str) -> int: ...

    def expanded_count(self, dag_id: str, run_id: str, task_id: str) -> int: ...

    def heartbeat(self, key: TaskInstanceKey, try_number: int | None = None) -> bool: ...
