"""``dags test``: parse, serialize, create one run, and drive it to completion with the inline executor."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from dagmap.config import get_settings
from dagmap.errors import DagFileError, DagNotFound
from dagmap.executors.base import Workload
from dagmap.executors.inline import InlineExecutor
from dagmap.model.keys import TaskInstanceKey
from dagmap.runner.run import run_task_instances
from dagmap.services.loading import find_dag
from dagmap.states import DagRunType, TaskInstanceState
from dagmap.store import db
from dagmap.store.queries import SessionFactory
from dagmap.store.runtime_client import DirectRuntimeClient
from dagmap.xcom.backends import xcom_storage_from_settings


@dataclass
class InstanceReport:
    task_id: str
    map_index: int
    state: str | None
    try_number: int
    rendered_map_index: str | None
    return_value: Any = None
    start_date: datetime | None = None
    end_date: datetime | None = None


@dataclass
class RunReport:
    dag_id: str
    run_id: str
    logical_date: datetime | None
    state: str
    task_instances: list[InstanceReport] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "logical_date": self.logical_date.isoformat() if self.logical_date else None,
            "state": self.state,
            "task_instances": [
                {
                    "task_id": ti.task_id,
                    "map_index": ti.map_index,
                    "state": ti.state,
                    "try_number": ti.try_number,
                    "rendered_map_index": ti.rendered_map_index,
                    "return_value": ti.return_value,
                }
                for ti in self.task_instances
            ],
        }


ProgressCallback = Callable[[TaskInstanceKey, TaskInstanceState], None]

BATCH = 500
"""Instances run between two recordings of their ends: bounds how long finished work stays unrecorded."""


def run_dag_test(
    dag_id: str,
    *,
    logical_date: datetime | None = None,
    conf: dict[str, Any] | None = None,
    dags_folder: Path | None = None,
    progress: ProgressCallback | None = None,
) -> RunReport:
    """Run one DAG run to completion in this process. Raises DagNotFound / DagFileError when it cannot load."""
    settings = get_settings()
    db.migrate(settings.sql_alchemy_conn)
    dag = find_dag(dag_id, dags_folder or settings.dags_folder)
    return run_loaded_dag(dag, logical_date=logical_date, conf=conf, progress=progress)


def run_loaded_dag(
    dag: Any,
    *,
    logical_date: datetime | None = None,
    conf: dict[str, Any] | None = None,
    progress: ProgressCallback | None = None,
) -> RunReport:
    """Run one run of an already loaded DAG to completion in this process (``dags test``, and ``dag.test()``
    through the ``dagmap.dag_test`` entry point)."""
    from dagmap.model.from_sdk import dag_to_spec
    from dagmap.scheduler.loop import SchedulerLoop
    from dagmap.sdk.params import resolve_params
    from dagmap.store.queries import dag_runs, serialized_dags
    from dagmap.timetables import dagrun_id_for

    settings = get_settings()
    url = settings.sql_alchemy_conn
    db.migrate(url)
    dag_id = dag.dag_id
    spec = dag_to_spec(dag)
    logical_date = (logical_date or datetime.now(UTC)).astimezone(UTC)
    resolve_params(dag.params, conf or {})  # refuse bad conf before anything is written
    run_id = dagrun_id_for(DagRunType.MANUAL.value, logical_date)
    sessions = db.session_factory(url)
    with sessions.begin() as session:
        serialized_dags.upsert(session, spec)
        replaced = dag_runs.delete_dag_run(session, dag_id, run_id)
        interval = dag.timetable.infer_manual_data_interval(logical_date) if hasattr(dag, "timetable") else None
        dag_runs.create_dag_run(
            session,
            spec,
            run_id=run_id,
            logical_date=logical_date,
            data_interval=interval,
            run_type=DagRunType.MANUAL.value,
            conf=conf or {},
        )
    storage = xcom_storage_from_settings()
    if replaced:  # the run of the same logical date before: its objects go too, before this run writes any
        storage.delete_run(dag_id, run_id)
    client = DirectRuntimeClient(sessions, storage)
    log_folder = settings.log_folder

    def run_batch(workloads: list[Workload]) -> dict[TaskInstanceKey, TaskInstanceState | None]:
        return run_task_instances(
            [w.key for w in workloads],
            dag_for=lambda _key: dag,
            client=client,
            log_folder=log_folder,
            on_finish=progress,
        )

    executor = InlineExecutor(run_batch=run_batch, max_per_heartbeat=BATCH)
    loop = SchedulerLoop(executor, url=url, max_tis_per_query=BATCH, enforce_limits=False)
    loop.run_until_done([(dag_id, run_id)])
    run_dag_callback(dag, run_id, sessions)
    return build_report(dag_id, run_id, client)


def run_dag_callback(dag: Any, run_id: str, sessions: SessionFactory) -> None:
    """Call the DAG's callback for the run's end here, as Airflow's ``dag.test()`` does: the request the
    scheduler loop recorded is claimed (so that no DAG processor runs it too) and finished with the outcome."""
    from dagmap.dag_processing.callbacks import run_dag_callbacks
    from dagmap.store.queries import callbacks

    with sessions.begin() as session:
        requests = callbacks.claim(session, limit=10, claimed_by="dags test", run=(dag.dag_id, run_id))
    for request in requests:
        error = run_dag_callbacks(
            dag, run_id=run_id, is_failure=request.is_failure, reason=request.reason, sessions=sessions
        )
        with sessions.begin() as session:
            callbacks.finish(session, request.id, error=error)


def build_report(dag_id: str, run_id: str, client: DirectRuntimeClient) -> RunReport:
    from dagmap.store.queries import dag_runs, task_instances, xcom

    sessions = db.session_factory()
    with sessions() as session:
        run = dag_runs.get_dag_run(session, dag_id, run_id)
        rows = task_instances.list_for_run(session, dag_id, run_id)
        values = xcom.return_values_for_run(session, dag_id=dag_id, run_id=run_id)
    report = RunReport(dag_id=dag_id, run_id=run_id, logical_date=run.logical_date, state=run.state)
    for row in rows:
        stored = values.get((row.task_id, row.map_index))
        report.task_instances.append(
            InstanceReport(
                task_id=row.task_id,
                map_index=row.map_index,
                state=row.state,
                try_number=row.try_number,
                rendered_map_index=row.rendered_map_index,
                return_value=_jsonable(client.storage.decode(stored)) if stored is not None else None,
                start_date=row.start_date,
                end_date=row.end_date,
            )
        )
    return report


def _jsonable(value: Any) -> Any:
    """Plain JSON for people and scripts: dates as ISO text, sets and tuples as lists, data frames and arrays
    summarized (shape, columns, first rows) rather than dumped whole."""
    try:
        return json.loads(json.dumps(value, default=_display))
    except (TypeError, ValueError):
        return repr(value)


def _display(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    if kind in ("pandas.DataFrame", "pandas.core.frame.DataFrame"):
        head = json.loads(value.head(5).to_json(orient="records", date_format="iso"))
        columns = [str(column) for column in value.columns]
        return {"type": "DataFrame", "shape": list(value.shape), "columns": columns, "head": head}
    if hasattr(value, "shape") and hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist() if getattr(value, "size", 0) <= 100 else {"type": kind, "shape": list(value.shape)}
    return str(value)


__all__ = ["DagFileError", "DagNotFound", "RunReport", "run_dag_test"]


def dag_test_entry_point(
    dag: Any, *, logical_date: datetime | None, conf: dict[str, Any] | None, out: Callable[[str], None] = print
) -> RunReport:
    """``DAG.test()``: the run, with a line per finished instance (as ``dags test`` prints) and a summary."""

    def show(key: TaskInstanceKey, state: TaskInstanceState) -> None:
        if state is not None:
            index = f"[{key.map_index}]" if key.map_index >= 0 else ""
            out(f"  {key.task_id}{index} {state.value}")

    out(f"dag.test(): {dag.dag_id} ...")
    report = run_loaded_dag(dag, logical_date=logical_date, conf=conf, progress=show)
    out(f"dag.test(): {report.dag_id} {report.run_id} {report.state}")
    return report
