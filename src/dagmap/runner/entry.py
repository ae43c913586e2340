"""Run a Workload in a worker process: load its DAG file (cached per file and mtime), then run the try.

This is what the local worker pool and Celery workers call; the inline executor of ``dags test`` calls
:func:`dagmap.runner.run.run_task_instance` directly with the DAG it already has.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from dagmap.config import get_settings
from dagmap.errors import DagFileError, DagNotFound
from dagmap.executors.base import Workload
from dagmap.runner.run import run_task_instance
from dagmap.states import TaskInstanceState

_loaded: dict[str, tuple[float, dict[str, Any]]] = {}


def load_dag(fileloc: str, dag_id: str) -> Any:
    """The DAG ``dag_id`` from ``fileloc``, re-imported only when the file changed."""
    from dagmap.dag_processing import load_dag_file

    mtime = os.stat(fileloc).st_mtime
    cached = _loaded.get(fileloc)
    if cached is None or cached[0] != mtime:
        result = load_dag_file(fileloc)
        if result.import_errors and not result.dags:
            raise DagFileError(result.import_errors[0].error, filename=fileloc, dag_id=dag_id)
        cached = (mtime, {dag.dag_id: dag for dag in result.dags})
        _loaded[fileloc] = cached
    dag = cached[1].get(dag_id)
    if dag is None:
        raise DagNotFound(f"DAG {dag_id!r} is no longer defined in {fileloc}", dag_id=dag_id, filename=fileloc)
    return dag


@lru_cache(maxsize=4)
def _client(url: str) -> Any:
    from dagmap.store import db
    from dagmap.store.runtime_client import DirectRuntimeClient
    from dagmap.xcom.backends import xcom_storage_from_settings

    return DirectRuntimeClient(db.session_factory(url), xcom_storage_from_settings())


def run_workload(workload: Workload) -> TaskInstanceState | None:
    """Run one workload against the configured database; the state it ended in (None: not startable, or the
    workload is about an earlier try, e.g. a broker redelivered the message of a dead worker)."""
    settings = get_settings()
    dag = load_dag(workload.dag_fileloc, workload.key.dag_id)
    return run_task_instance(
        workload.key,
        dag=dag,
        client=_client(settings.sql_alchemy_conn),
        log_folder=settings.log_folder,
        try_number=workload.try_number,
    )


def reset_worker_caches() -> None:
    """After fork, or when settings changed (tests)."""
    _loaded.clear()
    _client.cache_clear()
