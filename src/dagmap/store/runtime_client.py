"""The runner's client that reads and writes the metadata database directly (inline, local and Celery workers)."""

from __future__ import annotations

import os
import socket
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dagmap.errors import DagRunNotFound, XComNotFound
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
from dagmap.states import TaskInstanceState
from dagmap.store import db
from dagmap.store.orm import DagRunRow, TaskInstanceRow
from dagmap.store.queries import assets as asset_queries
from dagmap.store.queries import dags, external_tasks, previous_runs, serialized_dags, tries
from dagmap.store.queries import task_instances as ti_queries
from dagmap.store.queries import xcom as xcom_queries
from dagmap.xcom.backends import XComStorage
from dagmap.xcom.sequence import LazyXComSequence


class DirectRuntimeClient:
    """Reads and writes the metadata database directly (the inline executor, local workers, Celery workers).

    Decoded XCom values of finished upstream instances are cached (bounded), because thousands of mapped
    instances typically read the same upstream list.
    """

    def __init__(self, sessions: sessionmaker[Session], storage: XComStorage, *, cache_size: int = 64) -> None:
        self._sessions = sessions
        self._reads = db.read_twin(sessions)
        """Reads never take SQLite's write lock (``db.read_scope``): workers' reads do not queue behind writers."""
        self.storage = storage
        self._hostname = socket.gethostname()
        self._runs: OrderedDict[tuple[str, str], RunInfo] = OrderedDict()
        self._previous: OrderedDict[tuple[str, str], PreviousRun | None] = OrderedDict()
        self._triggering: OrderedDict[tuple[str, str], list[AssetEventInfo]] = OrderedDict()
        self._values: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._cache_size = cache_size

    # --- the life of tries -------------------------------------------------------------------------------
    @property
    def hostname(self) -> str:
        return self._hostname

    def start(self, key: TaskInstanceKey, try_number: int | None = None) -> StartedTry | None:
        return self.start_many([key], None if try_number is None else {key: try_number}).get(key)

    def start_many(
        self, keys: Sequence[TaskInstanceKey], try_numbers: Mapping[TaskInstanceKey, int] | None = None
    ) -> dict[TaskInstanceKey, StartedTry]:
        with self._sessions.begin() as session:
            started = tries.start_tries(
                session, keys, hostname=self._hostname, pid=os.getpid(), try_numbers=try_numbers
            )
        return {key: StartedTry(s.try_number, s.max_tries) for key, s in started.items()}

    def finish(self, key: TaskInstanceKey, outcome: TryOutcome) -> None:
        self.finish_many([(key, outcome)])

    def finish_many(self, results: Sequence[tuple[TaskInstanceKey, TryOutcome]]) -> None:
        """End many tries in one transaction: states, history, XCom, rendered fields, task_map, skips, and the
        asset events of the successful ones (queueing the DAGs scheduled on those assets)."""
        ended = [
            tries.EndedTry(
                key=key,
                state=outcome.state,
                try_number=outcome.try_number,
                start_date=outcome.start_date,
                end_date=outcome.end_date or datetime.now(UTC),
                hostname=self._hostname,
                error=outcome.error,
                next_retry_at=outcome.next_retry_at,
                rendered_map_index=outcome.rendered_map_index,
            )
            for key, outcome in results
        ]
        now = datetime.now(UTC)
        with self._sessions.begin() as session:
            done = set(tries.end_tries(session, ended))
            xcom_rows: list[dict[str, Any]] = []
            rendered_rows: list[dict[str, Any]] = []
            events: list[asset_queries.NewAssetEvent] = []
            for key, outcome in results:
                if key not in done:
                    continue
                where = key._asdict()
                if outcome.state == TaskInstanceState.SUCCESS:
                    events.extend(
                        asset_queries.NewAssetEvent(
                            update.uri, outcome.end_date or now, update.extra, *key, update.name, update.group
                        )
                        for update in outcome.asset_updates
                    )
                xcom_rows.extend({**where, "key": k, "value": v, "timestamp": now} for k, v in outcome.xcoms)
                if outcome.rendered_fields is not None:
                    rendered_rows.append({**where, "rendered_fields": outcome.rendered_fields})
                if outcome.task_map is not None:
                    length, keys = outcome.task_map
                    ti_queries.record_task_map(session, key, length=length, keys=keys)
                if outcome.skip_downstream:
                    ti_queries.skip_tasks(session, key.dag_id, key.run_id, outcome.skip_downstream)
                if outcome.skip_downstream_same_index:
                    ti_queries.skip_tasks(
                        session, key.dag_id, key.run_id, outcome.skip_downstream_same_index, map_index=key.map_index
                    )
            tries.insert_xcoms(session, xcom_rows)
            tries.insert_rendered(session, rendered_rows)
            asset_queries.record_events(session, events)

    def heartbeat(self, key: TaskInstanceKey, try_number: int | None = None) -> bool:
        with self._sessions.begin() as session:
            return ti_queries.heartbeat(session, key, try_number)

    # --- reads -------------------------------------------------------------------------------------------
    def run_info(self, dag_id: str, run_id: str) -> RunInfo:
        info = self._runs.get((dag_id, run_id))
        if info is None:
            with self._reads() as session:
                row = session.query(DagRunRow).filter_by(dag_id=dag_id, run_id=run_id).one_or_none()
                if row is None:
                    raise DagRunNotFound(f"no run {run_id!r}", dag_id=dag_id)
                info = RunInfo(
                    dag_id=dag_id,
                    run_id=run_id,
                    run_type=row.run_type,
                    logical_date=row.logical_date,
                    data_interval_start=row.data_interval_start,
                    data_interval_end=row.data_interval_end,
                    conf=dict(row.conf or {}),
                    start_date=row.start_date,
                )
            self._runs[(dag_id, run_id)] = info
            if len(self._runs) > self._cache_size:
                self._runs.popitem(last=False)
        return info

    def previous_success(self, dag_id: str, run_id: str) -> PreviousRun | None:
        """One query per run (cached): the instances of a run share their previous successful run."""
        if (dag_id, run_id) in self._previous:
            return self._previous[(dag_id, run_id)]
        with self._reads() as session:
            dates = previous_runs.previous_successful_run(session, dag_id, run_id)
        found = None if dates is None else PreviousRun(*dates)
        self._previous[(dag_id, run_id)] = found
        if len(self._previous) > self._cache_size:
            self._previous.popitem(last=False)
        return found

    def external_dag(self, dag_id: str) -> ExternalDag | None:
        """None when the database has no such DAG (or no stored structure for it)."""
        with self._reads() as session:
            fileloc = external_tasks.stored_fileloc(session, dag_id)
            spec = serialized_dags.load_many(session, [dag_id]).get(dag_id)
        if fileloc is None or spec is None:
            return None
        return ExternalDag(dag_id, fileloc, {task.task_id: task.task_group_id for task in spec.tasks})

    def external_states(
        self, dag_id: str, logical_dates: Sequence[datetime], task_ids: Sequence[str] | None
    ) -> ExternalStates:
        """Never cached: a sensor asks again and again until the states it waits for are there."""
        with self._reads() as session:
            runs = external_tasks.run_states(session, dag_id, logical_dates)
            counts = external_tasks.instance_state_counts(session, dag_id, logical_dates, task_ids) if task_ids else {}
        return ExternalStates(runs, counts)

    # --- another DAG's runs (TriggerDagRunOperator): the same use-cases as `dagmap dags trigger` / `tasks clear`
    def trigger_dag_run(
        self, dag_id: str, *, run_id: str | None, logical_date: datetime, conf: Mapping[str, Any], reset: bool
    ) -> TriggeredDagRun:
        from dagmap.services.runs import trigger_dag_run
        from dagmap.services.tasks import clear_task_instances

        with self._sessions.begin() as session:
            existing = None if run_id is None else external_tasks.run_logical_date(session, dag_id, run_id)
            if existing is not None and reset:
                clear_task_instances(session, dag_id, run_id=run_id, storage=self.storage)
                return TriggeredDagRun(dag_id, str(run_id), existing[0], reset=True)
            triggered = trigger_dag_run(session, dag_id, conf=conf, logical_date=logical_date, run_id=run_id)
            return TriggeredDagRun(dag_id, triggered.run.run_id, triggered.run.logical_date)

    def dag_run_state(self, dag_id: str, run_id: str) -> str | None:
        with self._reads() as session:
            return external_tasks.run_state(session, dag_id, run_id)

    def dag_is_paused(self, dag_id: str) -> bool | None:
        with self._reads() as session:
            return dags.paused_flags(session, [dag_id]).get(dag_id)

    def triggering_asset_events(self, dag_id: str, run_id: str) -> Sequence[AssetEventInfo]:
        """One query per run (cached apart from XCom values): every instance of a triggered run sees the same
        events."""
        found = self._triggering.get((dag_id, run_id))
        if found is None:
            with self._reads() as session:
                stored = asset_queries.triggering_events(session, dag_id, run_id)
            found = [_event_info(e) for e in stored]
            self._triggering[(dag_id, run_id)] = found
            if len(self._triggering) > self._cache_size:
                self._triggering.popitem(last=False)
        return found

    def get_xcom(self, key: TaskInstanceKey, xcom_key: str) -> Any:
        cache_key = (*key, xcom_key)
        if cache_key in self._values:
            self._values.move_to_end(cache_key)
            return self._values[cache_key]
        with self._reads() as session:
            stored = xcom_queries.get(session, **key._asdict(), key=xcom_key)
        if stored is None:
            where = f"map index {key.map_index}" if key.map_index >= 0 else "its run"
            raise XComNotFound(
                f"no XCom {xcom_key!r} pushed by {key.task_id!r} ({where})", dag_id=key.dag_id, task_id=key.task_id
            )
        value = self.storage.decode(stored)
        self._values[cache_key] = value
        if len(self._values) > self._cache_size:
            self._values.popitem(last=False)
        return value

    def expanded_count(self, dag_id: str, run_id: str, task_id: str) -> int:
        cache_key = ("expanded", dag_id, run_id, task_id)
        if cache_key not in self._values:
            with self._reads() as session:
                self._values[cache_key] = session.scalar(
                    select(func.count()).where(
                        TaskInstanceRow.dag_id == dag_id,
                        TaskInstanceRow.run_id == run_id,
                        TaskInstanceRow.task_id == task_id,
                        TaskInstanceRow.map_index >= 0,
                        TaskInstanceRow.state != "removed",
                    )
                )
        return int(self._values[cache_key] or 0)

    def pushed_count(self, dag_id: str, run_id: str, task_id: str, xcom_key: str) -> int:
        with self._reads() as session:
            return xcom_queries.count_mapped(session, dag_id=dag_id, run_id=run_id, task_id=task_id, key=xcom_key)

    def mapped_xcoms(self, dag_id: str, run_id: str, task_id: str, xcom_key: str) -> Sequence[Any]:
        length = self.pushed_count(dag_id, run_id, task_id, xcom_key)

        def load(offset: int, limit: int) -> list[Any]:
            with self._reads() as session:
                stored = xcom_queries.mapped_batch(
                    session, dag_id=dag_id, run_id=run_id, task_id=task_id, key=xcom_key, offset=offset, limit=limit
                )
            return [self.storage.decode(text) for text in stored]

        return LazyXComSequence(length=length, load_batch=load, description=f"values of {task_id!r}")


def _event_info(event: asset_queries.StoredAssetEvent) -> AssetEventInfo:
    source = event.source_run
    return AssetEventInfo(
        event.uri,
        event.name,
        event.group,
        event.timestamp,
        dict(event.extra or {}),
        event.source_dag_id,
        event.source_task_id,
        event.source_run_id,
        event.source_map_index,
        None if source is None else RunInfo(event.source_dag_id or "", event.source_run_id or "", *source),
    )
