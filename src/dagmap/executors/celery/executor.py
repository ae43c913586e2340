"""CeleryExecutor: sends each workload to the ``dagmap.execute_workload`` task on the workload's queue and
turns the task results it polls (in bulk where the result backend allows) into executor events."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, states
from celery.backends.base import BaseKeyValueStoreBackend
from celery.backends.rpc import RPCBackend

from dagmap.config import get_settings
from dagmap.executors.base import ExecutorEvent, Workload
from dagmap.executors.celery.app import TASK_NAME, make_app
from dagmap.executors.celery.messages import workload_to_message
from dagmap.states import TaskInstanceState

log = logging.getLogger(__name__)

DEFAULT_PARALLELISM = 256
"""Workloads in flight at once when ``core.parallelism`` is not set (it counts local worker processes)."""
FETCH_BATCH = 500
SEND_RETRY_POLICY = {"max_retries": 3, "interval_start": 0.0, "interval_step": 0.5, "interval_max": 1.0}


class CeleryExecutor:
    """Runs workloads on Celery workers started with ``dagmap celery worker``.

    A workload goes to the Celery queue ``queue_prefix + workload.queue`` (the operator's ``queue=``).
    Its hard Celery time limit is ``execution_timeout + timeout_grace``: the runner raises at
    ``execution_timeout`` itself; the worker kills the process only when the task is stuck past that.
    """

    def __init__(
        self,
        parallelism: int | None = None,
        *,
        broker_url: str | None = None,
        result_backend: str | None = None,
        queue_prefix: str = "",
        timeout_grace: float = 30.0,
        app: Celery | None = None,
    ) -> None:
        self.parallelism = parallelism or get_settings().core.parallelism or DEFAULT_PARALLELISM
        self._broker_url = broker_url
        self._result_backend = result_backend
        self._queue_prefix = queue_prefix
        self._timeout_grace = timeout_grace
        self._app = app
        self._tracked: dict[str, Workload] = {}
        """Celery task id -> the workload it carries, until a terminal state was seen."""
        self._events: list[ExecutorEvent] = []
        self._closed = True

    @property
    def app(self) -> Celery:
        if self._app is None:
            self._app = make_app(self._broker_url, self._result_backend)
        return self._app

    # --- the Executor protocol ---------------------------------------------------------------------------
    def start(self) -> None:
        self._closed = False

    def queue_workload(self, workload: Workload) -> None:
        if self._closed:
            raise RuntimeError("the executor is not running; start() it before queueing")
        for task_id, tracked in list(self._tracked.items()):
            if tracked.key == workload.key:  # a newer try supersedes one whose end never came
                log.warning("%s: dropping task %s of an earlier try", workload.key, task_id)
                del self._tracked[task_id]
        timeout = workload.execution_timeout
        try:
            result = self.app.send_task(
                TASK_NAME,
                args=[workload_to_message(workload, dags_folder=get_settings().dags_folder)],
                queue=self._queue_prefix + workload.queue,
                time_limit=timeout + self._timeout_grace if timeout else None,
                retry=True,
                retry_policy=SEND_RETRY_POLICY,
            )
        except Exception as error:  # the broker is unreachable: the try never left
            log.exception("%s: could not send to the broker", workload.key)
            info = f"could not send to the Celery broker: {type(error).__name__}: {error}"
            self._events.append(ExecutorEvent.of(workload, TaskInstanceState.FAILED, info))
            return
        self._tracked[result.id] = workload

    @property
    def open_slots(self) -> int:
        return 0 if self._closed else max(0, self.parallelism - len(self._tracked))

    def heartbeat(self) -> list[ExecutorEvent]:
        if self._tracked:
            for task_id, (state, result, trace) in self._fetch(list(self._tracked)).items():
                event = self._event(self._tracked.pop(task_id), state, result, trace)
                if event is not None:
                    self._events.append(event)
        events, self._events = self._events, []
        return events

    def end(self) -> None:
        """Refuse new work. What was sent runs on the workers regardless; ``heartbeat()`` reports its ends."""
        self._closed = True

    def terminate(self) -> None:
        """Stop tracking and close broker connections. Sent messages stay queued; whichever worker takes one
        later finds its instance no longer startable, or runs it if the scheduler left it queued."""
        self._closed = True
        self._tracked.clear()
        self._events.clear()
        if self._app is not None:
            _delete_reply_queue(self._app)
            self._app.close()

    # --- internals ---------------------------------------------------------------------------------------
    def _fetch(self, task_ids: list[str]) -> dict[str, tuple[str, Any, str | None]]:
        """The terminal (state, result, traceback) of those of ``task_ids`` that have ended."""
        backend = self.app.backend
        ended: dict[str, tuple[str, Any, str | None]] = {}
        if isinstance(backend, BaseKeyValueStoreBackend):  # Redis and friends: one round trip per batch
            for start in range(0, len(task_ids), FETCH_BATCH):
                batch = task_ids[start : start + FETCH_BATCH]
                values = backend.mget([backend.get_key_for_task(task_id) for task_id in batch])
                for task_id, value in zip(batch, values, strict=True):
                    if value is not None:
                        meta = backend.decode_result(value)
                        if meta["status"] in states.READY_STATES:
                            ended[task_id] = (meta["status"], meta.get("result"), meta.get("traceback"))
            if ended:
                backend.client.delete(*(backend.get_key_for_task(task_id) for task_id in ended))
            return ended
        for task_id in task_ids:  # rpc:// and database backends: one by one
            result = self.app.AsyncResult(task_id)
            state = result.state
            if state in states.READY_STATES:
                ended[task_id] = (state, result.result, result.traceback)
        return ended

    def _event(self, workload: Workload, state: str, result: Any, trace: str | None) -> ExecutorEvent | None:
        if state == states.SUCCESS:
            return None if result is None else ExecutorEvent.of(workload, TaskInstanceState(result))
        if state == states.REVOKED:
            return ExecutorEvent.of(workload, TaskInstanceState.FAILED, "the Celery task was revoked")
        info = _describe_error(result)
        if "TimeLimitExceeded" in info:
            limit = workload.execution_timeout or 0.0
            info = f"timed out: the worker killed the try after its execution_timeout of {limit:g}s ({info})"
        if trace:
            info = f"{info}\n{trace}"
        return ExecutorEvent.of(workload, TaskInstanceState.FAILED, info)


def _delete_reply_queue(app: Celery) -> None:
    """``rpc://`` results come back on a queue of this app's own; nobody reads it after terminate()."""
    backend = app.backend
    if not isinstance(backend, RPCBackend):
        return
    try:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(backend.oid)
    except Exception:  # best effort: the queue also expires on its own (result_expires)
        log.debug("could not delete the rpc reply queue %s", backend.oid, exc_info=True)


def _describe_error(result: Any) -> str:
    if isinstance(result, BaseException):
        return f"{type(result).__name__}: {result}"
    if isinstance(result, dict) and "exc_type" in result:  # as a key-value backend stores it
        message = result.get("exc_message")
        if isinstance(message, list | tuple):
            message = ", ".join(str(part) for part in message)
        return f"{result['exc_type']}: {message}"
    return repr(result)
