"""The message a workload becomes on its way to a Celery worker: a flat JSON object, versioned.

Only plain data crosses the broker (never pickles): the instance key, the try, where the DAG file is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dagmap.errors import DagmapError
from dagmap.executors.base import Workload
from dagmap.model.keys import TaskInstanceKey

VERSION = 1


def workload_to_message(workload: Workload, *, dags_folder: Path | None = None) -> dict[str, Any]:
    """The message for ``workload``; ``dag_relpath`` lets a worker find the file under its own DAGs folder."""
    key = workload.key
    return {
        "version": VERSION,
        "dag_id": key.dag_id,
        "run_id": key.run_id,
        "task_id": key.task_id,
        "map_index": key.map_index,
        "try_number": workload.try_number,
        "dag_fileloc": workload.dag_fileloc,
        "dag_relpath": _relative_to(workload.dag_fileloc, dags_folder),
        "pool": workload.pool,
        "queue": workload.queue,
        "priority_weight": workload.priority_weight,
        "execution_timeout": workload.execution_timeout,
    }


def workload_from_message(message: dict[str, Any], *, dags_folder: Path | None = None) -> Workload:
    """The workload a message names. When ``dag_fileloc`` does not exist here, the file is looked for at
    ``dag_relpath`` under this machine's ``dags_folder`` (workers may mount the DAGs elsewhere)."""
    if message.get("version") != VERSION:
        raise DagmapError(f"unsupported workload message version {message.get('version')!r} (expected {VERSION})")
    fileloc = str(message["dag_fileloc"])
    relpath = message.get("dag_relpath")
    if relpath and dags_folder is not None and not os.path.exists(fileloc):
        fileloc = str(dags_folder / relpath)
    timeout = message.get("execution_timeout")
    return Workload(
        key=TaskInstanceKey(message["dag_id"], message["run_id"], message["task_id"], int(message["map_index"])),
        try_number=int(message["try_number"]),
        dag_fileloc=fileloc,
        pool=str(message.get("pool", "default_pool")),
        queue=str(message.get("queue", "default")),
        priority_weight=int(message.get("priority_weight", 1)),
        execution_timeout=None if timeout is None else float(timeout),
    )


def _relative_to(fileloc: str, folder: Path | None) -> str | None:
    if folder is None:
        return None
    try:
        return Path(fileloc).resolve().relative_to(folder.resolve()).as_posix()
    except (ValueError, OSError):
        return None
