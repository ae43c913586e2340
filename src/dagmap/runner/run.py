"""Run one try of one task instance: start, resolve inputs, render, execute, push XCom, finish.

User code is called in exactly one place (:func:`_execute`); every exception it raises becomes the try's
outcome, so a failing instance never affects its siblings.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dagmap.errors import (
    TaskFailedNoRetry,
    TaskSkipped,
    TaskTimeoutError,
    UnmappableXComError,
    XComSerializationError,
)
from dagmap.model.keys import TaskInstanceKey
from dagmap.runner.callbacks import ON_EXECUTE, STATE_CALLBACKS, callbacks_of, run_callbacks
from dagmap.runner.client import RuntimeClient
from dagmap.runner.context import RuntimeTaskInstance, build_context
from dagmap.runner.logs import capture_task_log, log_path_text, task_logger
from dagmap.runner.logs import drain as drain_logs
from dagmap.runner.outcome import TryOutcome
from dagmap.runner.task_view import TaskView, task_view
from dagmap.states import TaskInstanceState
from dagmap.xcom.sequence import LazyXComSequence

RETURN_VALUE = "return_value"


class _ClientXComSource:
    """The SDK's XComSource over a runtime client, for one DAG run."""

    def __init__(self, client: RuntimeClient, dag_id: str, run_id: str) -> None:
        self._client = client
        self._dag_id = dag_id
        self._run_id = run_id

    def get_value(self, task_id: str, map_index: int, key: str = RETURN_VALUE) -> Any:
        return self._client.get_xcom(TaskInstanceKey(self._dag_id, self._run_id, task_id, map_index), key)

    def get_mapped_values(self, task_id: str, key: str = RETURN_VALUE) -> Any:
        return self._client.mapped_xcoms(self._dag_id, self._run_id, task_id, key)

    def pushed_count(self, task_id: str, key: str = RETURN_VALUE) -> int:
        return self._client.pushed_count(self._dag_id, self._run_id, task_id, key)


def run_task_instance(
    key: TaskInstanceKey, *, dag: Any, client: RuntimeClient, log_folder: Path, try_number: int | None = None
) -> TaskInstanceState | None:
    """Run the next try of ``key`` (only if it is try ``try_number``, when given). Returns its final state, or
    None if the instance was not startable."""
    try_numbers = None if try_number is None else {key: try_number}
    return run_task_instances(
        [key], dag_for=lambda _key: dag, client=client, log_folder=log_folder, try_numbers=try_numbers
    ).get(key)


def run_task_instances(
    keys: Sequence[TaskInstanceKey],
    *,
    dag_for: Callable[[TaskInstanceKey], Any],
    client: RuntimeClient,
    log_folder: Path,
    on_finish: Callable[[TaskInstanceKey, TaskInstanceState], None] | None = None,
    try_numbers: Mapping[TaskInstanceKey, int] | None = None,
) -> dict[TaskInstanceKey, TaskInstanceState | None]:
    """Run the next try of each key, one after another, starting and ending them in bulk.

    Instances that are not startable (finished, cleared, running elsewhere, or whose next try is not the one
    ``try_numbers`` names: a workload of an earlier try) map to None. The tries of a batch are recorded
    together when the last one ends, so a batch should take seconds, not hours.
    """
    started = client.start_many(keys, try_numbers)
    results: list[tuple[TaskInstanceKey, TryOutcome]] = []
    for key in keys:
        begun = started.get(key)
        if begun is None:
            continue
        outcome = _run_started(key, begun.try_number, begun.max_tries, dag_for, client, log_folder)
        results.append((key, outcome))
    drain_logs()  # a try is recorded as ended only once its log is on disk
    if results:
        client.finish_many(results)
    states: dict[TaskInstanceKey, TaskInstanceState | None] = dict.fromkeys(keys)
    for key, outcome in results:
        states[key] = outcome.state
        if on_finish is not None:
            on_finish(key, outcome.state)
    return states


def _run_started(
    key: TaskInstanceKey,
    try_number: int,
    max_tries: int,
    dag_for: Callable[[TaskInstanceKey], Any],
    client: RuntimeClient,
    log_folder: Path,
) -> TryOutcome:
    path = log_path_text(str(log_folder), *key, try_number)
    started_at = datetime.now(UTC)
    with capture_task_log(path):
        task_logger.info("Starting %s, try %d of %d", _describe(key), try_number, max_tries + 1)
        try:
            dag = dag_for(key)
            view = task_view(dag, key.task_id)
        except Exception as error:  # the DAG file changed or broke since the instance was queued
            task_logger.error("Could not load the task: %s", error)
            outcome = TryOutcome(state=TaskInstanceState.FAILED, error=_error_text(error))
        else:
            outcome = _execute(
                key, dag=dag, view=view, client=client, try_number=try_number, max_tries=max_tries, log_file=path
            )
        task_logger.info("%s finished: %s", _describe(key), outcome.state.value)
    outcome.try_number = try_number
    outcome.start_date = started_at
    outcome.end_date = datetime.now(UTC)
    return outcome


def _describe(key: TaskInstanceKey) -> str:
    index = f"[{key.map_index}]" if key.map_index >= 0 else ""
    return f"{key.dag_id}.{key.task_id}{index} ({key.run_id})"


def _execute(
    key: TaskInstanceKey,
    *,
    dag: Any,
    view: TaskView,
    client: RuntimeClient,
    try_number: int,
    max_tries: int,
    log_file: str,
) -> TryOutcome:
    from dagmap.sdk.runtime import prepare_task_for_run, render_template_fields, set_current_context

    task = view.task
    info = client.run_info(key.dag_id, key.run_id)
    ti = RuntimeTaskInstance(
        key=key,
        task=task,
        try_number=try_number,
        max_tries=max_tries,
        client=client,
        start_date=datetime.now(UTC),
        mapped_task_ids=view.mapped_task_ids,
        log_path=log_file,
    )
    expanded = client.expanded_count(key.dag_id, key.run_id, key.task_id) if view.is_mapped else None
    outcome = TryOutcome(state=TaskInstanceState.SUCCESS)
    context: dict[str, Any] = {}
    operator: Any = task
    raised: BaseException | None = None
    try:
        params = view.resolve_params(info.conf)
        context = build_context(
            dag=dag, task=task, ti=ti, info=info, params=params, macros=view.macros, expanded_ti_count=expanded
        )
        with set_current_context(context):
            operator = prepare_task_for_run(task, map_index=key.map_index, xcom=_ClientXComSource(client, *key[:2]))
            context["task"] = operator
            ti.task = operator
            if view.maps_params:
                context["params"] = view.resolve_params(info.conf, operator)
            render_template_fields(operator, context, jinja_env=view.jinja_env)
            outcome.rendered_fields = view.rendered_fields(operator)
            on_execute = callbacks_of(operator, ON_EXECUTE)
            if on_execute:
                run_callbacks(on_execute, ON_EXECUTE, context)
            with _timeout(operator.execution_timeout, key):
                result = operator.execute(context)
            _collect_result(operator, result, ti, view, outcome, key)
    except TaskSkipped as signal_:
        task_logger.info("Skipped: %s", signal_.message)
        outcome.state = TaskInstanceState.SKIPPED
    except TaskFailedNoRetry as failure:
        task_logger.error("Failed without retry: %s", failure.message)
        outcome.state = TaskInstanceState.FAILED
        outcome.error = failure.message
        raised = failure
    except BaseException as error:  # user code: anything it raises is this try's outcome
        if isinstance(error, KeyboardInterrupt | SystemExit) and not isinstance(error, SystemExit):
            raise
        task_logger.error("Task failed:\n%s", "".join(traceback.format_exception(error)))
        outcome.error = _error_text(error)
        outcome.state, outcome.next_retry_at = view.failure_outcome(try_number, max_tries)
        raised = error
        if outcome.next_retry_at is not None:
            task_logger.info("Will retry at %s", outcome.next_retry_at.isoformat())
    finally:
        outcome.xcoms = (
            _serialize_pushes(ti, client, key, outcome) if outcome.state != TaskInstanceState.SKIPPED else []
        )
        if context:
            outcome.rendered_map_index = view.render_map_index(operator, context)
    if outcome.state == TaskInstanceState.SUCCESS and view.spec.outlets:
        try:
            outcome.asset_updates = context["outlet_events"].updates(view.spec.outlets)
        except TypeError as error:
            task_logger.error("%s", error)
            outcome.state, outcome.error, outcome.xcoms, outcome.task_map = (
                TaskInstanceState.FAILED,
                str(error),
                [],
                None,
            )
            raised = error
    pushed_before = _state_callbacks(operator, outcome, ti, context, raised)
    if pushed_before is not None and outcome.state != TaskInstanceState.SKIPPED:
        _store_callback_pushes(ti, client, key, outcome, pushed_before)
    return outcome


def _state_callbacks(
    operator: Any, outcome: TryOutcome, ti: RuntimeTaskInstance, context: dict[str, Any], raised: BaseException | None
) -> dict[str, Any] | None:
    """on_success / on_failure / on_retry / on_skipped, by the try's final state (none: no cost). Returns the
    XComs pushed before the callbacks ran, or None if none ran."""
    name = STATE_CALLBACKS.get(outcome.state)
    if name is None:
        return None
    callbacks = callbacks_of(operator, name)
    if not callbacks:
        return None
    pushed_before = dict(ti.pushed)
    from dagmap.sdk.runtime import set_current_context

    ti.state = outcome.state.value
    if not context:  # the context could not be built (bad params): the callbacks still get the essentials
        context = {
            "dag": getattr(ti.task, "dag", None),
            "task": operator,
            "ti": ti,
            "task_instance": ti,
            "run_id": ti.run_id,
        }
    if outcome.state in (TaskInstanceState.FAILED, TaskInstanceState.UP_FOR_RETRY):
        context["exception"] = raised if raised is not None else outcome.error
    with set_current_context(context):
        run_callbacks(callbacks, name, context)
    return pushed_before


def _store_callback_pushes(
    ti: RuntimeTaskInstance, client: RuntimeClient, key: TaskInstanceKey, outcome: TryOutcome, before: dict[str, Any]
) -> None:
    """XComs a state callback pushed (new keys, or new values of the try's keys): stored with the try's; one that
    cannot be serialized is logged and left out, never changing the outcome."""
    for xcom_key, value in ti.pushed.items():
        if xcom_key in before and before[xcom_key] is value:
            continue
        try:
            text = client.storage.encode(
                value, dag_id=key.dag_id, run_id=key.run_id, task_id=key.task_id, map_index=key.map_index, key=xcom_key
            )
        except XComSerializationError as error:
            task_logger.error("XCom %r pushed by a callback is not stored: %s", xcom_key, error)
            continue
        outcome.xcoms = [(k, v) for k, v in outcome.xcoms if k != xcom_key]
        outcome.xcoms.append((xcom_key, text))


def _error_text(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return f"the task called sys.exit({error.code!r})"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _collect_result(
    operator: Any, result: Any, ti: RuntimeTaskInstance, view: TaskView, outcome: TryOutcome, key: TaskInstanceKey
) -> None:
    if isinstance(result, LazyXComSequence):
        result = result.to_list()
    if getattr(operator, "do_xcom_push", True) and result is not None:
        ti.pushed[RETURN_VALUE] = result
        if getattr(operator, "multiple_outputs", False):
            if not isinstance(result, dict):
                raise TypeError(f"multiple_outputs=True needs a dict return value, got {type(result).__name__}")
            for name, value in result.items():
                if not isinstance(name, str):
                    raise TypeError(f"multiple_outputs=True needs str keys, got {name!r}")
                ti.pushed[name] = value
    if view.feeds_mapping and not view.is_mapped:
        outcome.task_map = _task_map_entry(result, key, view)
    outcome.skip_downstream, outcome.skip_downstream_same_index = view.skip_decision(operator, result)


def _task_map_entry(value: Any, key: TaskInstanceKey, view: TaskView) -> tuple[int, list[Any] | None]:
    if value is None:
        raise UnmappableXComError(
            "returned None (pushed nothing), but a downstream task maps over its result",
            dag_id=key.dag_id,
            task_id=key.task_id,
        )
    if not isinstance(value, list | tuple | dict):
        raise UnmappableXComError(
            f"unmappable return type {type(value).__name__!r}: a downstream task maps over this result, "
            "which must be a list, tuple or dict",
            dag_id=key.dag_id,
            task_id=key.task_id,
        )
    limit = view.max_map_length
    if len(value) > limit:
        raise UnmappableXComError(
            f"returned {len(value)} items to map over, more than max_map_length={limit} "
            "(setting DAGMAP__CORE__MAX_MAP_LENGTH)",
            dag_id=key.dag_id,
            task_id=key.task_id,
        )
    keys = [str(k) for k in value] if isinstance(value, dict) else None
    return len(value), keys


def _serialize_pushes(
    ti: RuntimeTaskInstance, client: RuntimeClient, key: TaskInstanceKey, outcome: TryOutcome
) -> list[tuple[str, str]]:
    stored: list[tuple[str, str]] = []
    for xcom_key, value in ti.pushed.items():
        try:
            stored.append(
                (
                    xcom_key,
                    client.storage.encode(
                        value,
                        dag_id=key.dag_id,
                        run_id=key.run_id,
                        task_id=key.task_id,
                        map_index=key.map_index,
                        key=xcom_key,
                    ),
                )
            )
        except XComSerializationError as error:
            task_logger.error("%s", error)
            outcome.state = TaskInstanceState.FAILED
            outcome.error = str(error)
            outcome.task_map = None
            return []
    return stored


@contextmanager
def _timeout(limit: timedelta | float | None, key: TaskInstanceKey) -> Iterator[None]:
    """Raise TaskTimeoutError in the task after ``limit`` (main thread only; worker pools kill the process)."""
    seconds = limit.total_seconds() if isinstance(limit, timedelta) else limit
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(_signum: int, _frame: Any) -> None:
        raise TaskTimeoutError(
            f"ran longer than its execution_timeout of {seconds:g}s",
            dag_id=key.dag_id,
            task_id=key.task_id,
            map_index=key.map_index,
        )

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        logging.getLogger(__name__).debug("task ran %.3fs", time.monotonic() - started)
