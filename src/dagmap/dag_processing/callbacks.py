"""Calling a DAG's ``on_success_callback`` / ``on_failure_callback`` for the end of one run, with Airflow's
context (``dag``, ``dag_run``, ``run_id``, ``reason`` and the last finished task instance's keys).

User code runs here only inside a DAG processor's callback child, or in the ``dags test`` process.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagmap.states import TaskInstanceState
from dagmap.store.queries import SessionFactory, task_instances

log = logging.getLogger(__name__)
FAILED_STATES = frozenset({TaskInstanceState.FAILED.value, TaskInstanceState.UPSTREAM_FAILED.value})


def callback_log_path(log_folder: Path | str, dag_id: str, run_id: str) -> Path:
    """``<log folder>/dag_processor/callbacks/dag_id=<dag>/run_id=<run>.log``."""
    safe_run_id = run_id.replace("/", "_")
    return Path(log_folder) / "dag_processor" / "callbacks" / f"dag_id={dag_id}" / f"run_id={safe_run_id}.log"


def dag_callbacks(dag: Any, *, is_failure: bool) -> list[Callable[[dict[str, Any]], Any]]:
    """The DAG's callbacks for a failed (or successful) run: one callable or a list, as in Airflow."""
    value = getattr(dag, "on_failure_callback" if is_failure else "on_success_callback", None)
    if not value:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def callback_context(
    dag: Any, *, run_id: str, reason: str | None, sessions: SessionFactory, is_failure: bool
) -> dict[str, Any]:
    """The context Airflow gives a DAG callback: the last finished task instance's context (a failed one for a
    failure callback, when there is one), with ``dag``, ``dag_run``, ``run_id`` and ``reason``."""
    from dagmap.model.keys import TaskInstanceKey
    from dagmap.runner.context import DagRunView, RuntimeTaskInstance, build_context
    from dagmap.sdk.macros import macros_namespace
    from dagmap.sdk.params import resolve_params
    from dagmap.store.runtime_client import DirectRuntimeClient
    from dagmap.xcom.backends import xcom_storage_from_settings

    client = DirectRuntimeClient(sessions, xcom_storage_from_settings())
    info = client.run_info(dag.dag_id, run_id)
    with sessions() as session:
        rows = [r for r in task_instances.list_for_run(session, dag.dag_id, run_id) if r.end_date is not None]
    if is_failure and any(r.state in FAILED_STATES for r in rows):
        rows = [r for r in rows if r.state in FAILED_STATES]
    context: dict[str, Any] = {"dag": dag, "dag_run": DagRunView(info), "run_id": run_id}
    last = max(rows, key=lambda r: (r.end_date, r.task_id, r.map_index), default=None)
    try:
        params = resolve_params(getattr(dag, "params", None) or {}, info.conf)
    except Exception:  # the run's conf was valid when it started; a DAG changed since must not stop the callback
        params = dict(info.conf)
    if last is not None and last.task_id in dag.task_dict:
        from dagmap.config import get_settings
        from dagmap.runner.logs import log_path_text

        task = dag.task_dict[last.task_id]
        key = TaskInstanceKey(dag.dag_id, run_id, last.task_id, last.map_index)
        ti = RuntimeTaskInstance(
            key=key,
            task=task,
            try_number=last.try_number,
            max_tries=last.max_tries,
            client=client,
            start_date=last.start_date or datetime.now(UTC),
            mapped_task_ids=frozenset(t.task_id for t in dag.task_dict.values() if getattr(t, "is_mapped", False)),
            log_path=log_path_text(
                str(get_settings().log_folder), dag.dag_id, run_id, last.task_id, last.map_index, last.try_number
            ),
        )
        ti.state = last.state or ""
        arguments: dict[str, Any] = {"params": params, "macros": macros_namespace(), "expanded_ti_count": None}
        if "client" in inspect.signature(build_context).parameters:  # the runner's context may take its client
            arguments["client"] = client
        context = build_context(dag=dag, task=task, ti=ti, info=info, **arguments) | context
    else:
        context["params"] = params
    context["reason"] = reason
    return context


def run_dag_callbacks(
    dag: Any,
    *,
    run_id: str,
    is_failure: bool,
    reason: str | None,
    sessions: SessionFactory,
    logger: logging.Logger = log,
) -> str | None:
    """Call the DAG's callbacks for this run's end, each in turn. Returns None, or the errors (every one is
    logged with its traceback); the run is never affected."""
    callbacks = dag_callbacks(dag, is_failure=is_failure)
    kind = "on_failure_callback" if is_failure else "on_success_callback"
    if not callbacks:
        logger.warning("DAG %s has no %s any more: nothing to call for run %s", dag.dag_id, kind, run_id)
        return None
    try:
        context = callback_context(dag, run_id=run_id, reason=reason, sessions=sessions, is_failure=is_failure)
    except Exception as error:
        logger.exception("cannot build the context of %s for run %s of %s", kind, run_id, dag.dag_id)
        return f"cannot build the callback context: {''.join(traceback.format_exception_only(error)).strip()}"
    errors = []
    for callback in callbacks:
        name = getattr(callback, "__qualname__", repr(callback))
        logger.info("calling %s %s of DAG %s for run %s (reason: %s)", kind, name, dag.dag_id, run_id, reason)
        try:
            callback(context)
        except Exception as error:  # one failing callback never stops the next, nor touches the run
            logger.exception("%s %s of DAG %s failed", kind, name, dag.dag_id)
            errors.append(f"{name}: {''.join(traceback.format_exception_only(error)).strip()}")
    return "\n".join(errors) or None
