"""Helpers for the management tests: a DAGs folder with only the files a test needs (parsing stays fast),
and driving a queued run to its end in-process, exactly as ``dags test`` does (SchedulerLoop + InlineExecutor).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dagmap.config import get_settings
from dagmap.executors.base import Workload
from dagmap.executors.inline import InlineExecutor
from dagmap.model.keys import TaskInstanceKey
from dagmap.runner.run import run_task_instances
from dagmap.scheduler.loop import SchedulerLoop
from dagmap.services.loading import find_dag
from dagmap.states import TaskInstanceState
from dagmap.store import db
from dagmap.store.runtime_client import DirectRuntimeClient
from dagmap.xcom.backends import xcom_storage_from_settings

TESTS = Path(__file__).resolve().parents[2]
CORPUS = TESTS / "dags"
LOCAL = Path(__file__).resolve().parent / "dags"


def dags_folder(target: Path, *names: str) -> Path:
    """``target`` holding these DAG files (by stem) from the corpus or from this folder's ``dags/``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = CORPUS / f"{name}.py"
        shutil.copyfile(source if source.exists() else LOCAL / f"{name}.py", target / f"{name}.py")
    return target


def scheduler_loop(dag_id: str, folder: Path) -> SchedulerLoop:
    """The loop ``dags test`` uses: the inline executor runs the DAG parsed from ``folder``."""
    settings = get_settings()
    dag = find_dag(dag_id, folder)
    client = DirectRuntimeClient(db.session_factory(), xcom_storage_from_settings())

    def run_batch(workloads: list[Workload]) -> dict[TaskInstanceKey, TaskInstanceState | None]:
        return run_task_instances(
            [w.key for w in workloads], dag_for=lambda _key: dag, client=client, log_folder=settings.log_folder
        )

    return SchedulerLoop(InlineExecutor(run_batch=run_batch), max_tis_per_query=500, enforce_limits=False)


def drive(dag_id: str, run_ids: list[str] | str, folder: Path) -> dict[str, str]:
    """Step the scheduler loop with the inline executor until the runs end; ``{run_id: state}``."""
    wanted = [run_ids] if isinstance(run_ids, str) else list(run_ids)
    loop = scheduler_loop(dag_id, folder)
    try:
        states = loop.run_until_done([(dag_id, run_id) for run_id in wanted], timeout=120)
    finally:
        loop.close()
    return {run_id: str(state) for (_, run_id), state in states.items()}


def step_loop(dag_id: str, folder: Path) -> Callable[[], None]:
    """One scheduler step per call (over every active run): a stand-in for a running scheduler."""
    loop = scheduler_loop(dag_id, folder)

    def step() -> None:
        loop.step()

    return step


def instances(dag_id: str, run_id: str) -> dict[tuple[str, int], Any]:
    """``{(task_id, map_index): row}`` of a run."""
    from dagmap.store.queries import task_instances

    with db.session_factory()() as session:
        return {(r.task_id, r.map_index): r for r in task_instances.list_for_run(session, dag_id, run_id)}
