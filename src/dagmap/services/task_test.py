"""``tasks test``: run one task instance alone (dependencies are not checked), reusing the run of that date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagmap.config import get_settings
from dagmap.errors import TaskNotFound
from dagmap.model.keys import TaskInstanceKey
from dagmap.runner.logs import log_path
from dagmap.runner.run import run_task_instance
from dagmap.services.loading import find_dag
from dagmap.states import DagRunType
from dagmap.store import db
from dagmap.store.runtime_client import DirectRuntimeClient
from dagmap.xcom.backends import xcom_storage_from_settings


@dataclass
class TaskTestResult:
    state: str | None
    return_value: Any
    log_path: Path


def run_task_test(
    dag_id: str,
    task_id: str,
    *,
    logical_date: datetime | None = None,
    map_index: int = -1,
    conf: dict[str, Any] | None = None,
    dags_folder: Path | None = None,
) -> TaskTestResult:
    from dagmap.model.from_sdk import dag_to_spec
    from dagmap.store.queries import dag_runs, serialized_dags, tries
    from dagmap.timetables import dagrun_id_for

    settings = get_settings()
    db.migrate(settings.sql_alchemy_conn)
    dag = find_dag(dag_id, dags_folder or settings.dags_folder)
    if task_id not in dag.task_dict:
        raise TaskNotFound(f"no task {task_id!r} in DAG {dag_id!r}", dag_id=dag_id, task_id=task_id)
    spec = dag_to_spec(dag)
    logical_date = (logical_date or datetime.now(UTC)).astimezone(UTC)
    run_id = dagrun_id_for(DagRunType.MANUAL.value, logical_date)
    sessions = db.session_factory()
    key = TaskInstanceKey(dag_id, run_id, task_id, map_index)
    with sessions.begin() as session:
        serialized_dags.upsert(session, spec)
        if not dag_runs.find_dag_runs(session, [(dag_id, run_id)]):
            dag_runs.create_dag_run(
                session,
                spec,
                run_id=run_id,
                logical_date=logical_date,
                data_interval=dag.timetable.infer_manual_data_interval(logical_date),
                run_type=DagRunType.MANUAL.value,
                conf=conf or {},
            )
        task = spec.task(task_id)
        _check_map_index(session, key, mapped=task.is_mapped)
        tries.make_runnable(session, key, pool=task.pool, queue=task.queue, max_tries=task.retries)
    client = DirectRuntimeClient(sessions, xcom_storage_from_settings())
    state = run_task_instance(key, dag=dag, client=client, log_folder=settings.log_folder)
    with sessions() as session:
        started = tries.try_number(session, key)
    try:
        value = client.get_xcom(key, "return_value")
    except Exception:
        value = None
    return TaskTestResult(
        state=state.value if state else None,
        return_value=value,
        log_path=log_path(settings.log_folder, *key, started),
    )


def _check_map_index(session: Any, key: TaskInstanceKey, *, mapped: bool) -> None:
    """Refuse a map index the run does not have, once the task's expansion is known."""
    from dagmap.store.queries import task_instances

    if not mapped:
        if key.map_index != -1:
            raise TaskNotFound("is not mapped: use --map-index -1", dag_id=key.dag_id, task_id=key.task_id)
        return
    indexes = {
        row.map_index for row in task_instances.list_for_run(session, key.dag_id, key.run_id, task_id=key.task_id)
    }
    expanded = sorted(index for index in indexes if index >= 0)
    if key.map_index == -1 and expanded:
        raise TaskNotFound(
            f"is mapped into {len(expanded)} instances: choose one with --map-index 0..{expanded[-1]}",
            dag_id=key.dag_id,
            task_id=key.task_id,
        )
    if key.map_index >= 0 and expanded and key.map_index not in indexes:
        raise TaskNotFound(
            f"has no map index {key.map_index} in run {key.run_id!r} (it has {len(expanded)}: 0..{expanded[-1]})",
            dag_id=key.dag_id,
            task_id=key.task_id,
        )
