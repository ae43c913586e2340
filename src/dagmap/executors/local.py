"""LocalExecutor: a pool of long-lived worker processes, each running many workloads one after another.

The parent talks to every worker over its own pipe and knows at all times what each one runs, so a worker
that dies or overruns its ``execution_timeout`` is reported exactly and replaced. See docs/adr/0006.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from dagmap.executors.base import ExecutorEvent, Workload
from dagmap.states import TaskInstanceState

log = logging.getLogger(__name__)

RunWorkload = Callable[[Workload], TaskInstanceState | None]
PRELOAD = ("dagmap.runner.entry", "dagmap.runner.run", "dagmap.store.runtime_client")
"""Imported once by the fork server, so that a new or replacement worker starts in milliseconds."""


def _default_run(workload: Workload) -> TaskInstanceState | None:
    from dagmap.runner.entry import run_workload

    return run_workload(workload)


def outcome_event(workload: Workload, state: str | None, info: str | None = None) -> ExecutorEvent | None:
    """The event for a try that ended as the runner said; None (no event) when the runner did not start it."""
    if state is None:
        return None
    return ExecutorEvent(workload.key, TaskInstanceState(state), info)


# --- the worker process ------------------------------------------------------------------------------------


def _worker_main(conn: Connection, bootstrap: bytes) -> None:
    """Run workloads received on ``conn`` until told to stop (None) or the parent goes away."""
    environ, path, cwd, run_bytes = pickle.loads(bootstrap)
    os.environ.clear()
    os.environ.update(environ)
    sys.path[:] = path
    os.chdir(cwd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the scheduler; it decides, via end()
    from dagmap.config import reset_settings
    from dagmap.runner.entry import reset_worker_caches
    from dagmap.store.db import dispose_engines

    reset_settings()
    dispose_engines()
    reset_worker_caches()
    run: RunWorkload = pickle.loads(run_bytes)
    while True:
        try:
            workload = conn.recv()
        except (EOFError, OSError):
            return
        if workload is None:
            return
        try:
            state = run(workload)
            reply: tuple[str | None, str | None] = (None if state is None else str(state), None)
        except BaseException as error:  # the runner records task errors itself; this guards the pool
            reply = (TaskInstanceState.FAILED.value, "".join(traceback.format_exception(error, limit=20)))
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


# --- the parent side ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    current: Workload | None = None
    deadline: float | None = None
    started: float = field(default_factory=time.monotonic)


class LocalExecutor:
    """Runs workloads on ``parallelism`` worker processes (default: ``core.parallelism``, one per core).

    ``run`` runs one workload inside a worker; it must be importable there (a module-level function).
    ``timeout_grace`` seconds after its ``execution_timeout`` a workload's worker is killed and replaced.
    """

    def __init__(
        self,
        parallelism: int | None = None,
        run: RunWorkload = _default_run,
        *,
        start_method: str = "forkserver",
        timeout_grace: float = 5.0,
    ) -> None:
        from dagmap.config import get_settings

        self.parallelism = parallelism or get_settings().parallelism
        self._run = run
        self._context: Any = multiprocessing.get_context(start_method)  # typeshed's BaseContext lacks Process
        if start_method == "forkserver":  # effective only before the fork server starts (once per process)
            self._context.set_forkserver_preload(list(PRELOAD))
        self._timeout_grace = timeout_grace
        self._workers: list[_Worker] = []
        self._backlog: deque[Workload] = deque()
        self._events: list[ExecutorEvent] = []
        self._bootstrap = b""
        self._closed = True

    # --- the Executor protocol ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._workers:
            raise RuntimeError("the executor is already started")
        self._bootstrap = pickle.dumps((dict(os.environ), list(sys.path), os.getcwd(), pickle.dumps(self._run)))
        self._workers = [self._spawn() for _ in range(self.parallelism)]
        self._closed = False

    def queue_workload(self, workload: Workload) -> None:
        if self._closed:
            raise RuntimeError("the executor is not running; start() it before queueing")
        self._backlog.append(workload)
        self._dispatch()

    @property
    def open_slots(self) -> int:
        return 0 if self._closed else max(0, self.parallelism - self.in_flight)

    @property
    def in_flight(self) -> int:
        """Workloads handed over and not yet reported: running or waiting for a free worker."""
        return len(self._backlog) + sum(1 for worker in self._workers if worker.current is not None)

    def heartbeat(self) -> list[ExecutorEvent]:
        self._poll(0)
        events, self._events = self._events, []
        return events

    def end(self) -> None:
        """Refuse new work, wait until everything handed over has ended, then stop the workers."""
        self._closed = True
        while self.in_flight and self._workers:
            self._poll(0.2)
        for worker in self._workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        for worker in self._workers:
            worker.process.join(5)
        self._stop_all()

    def terminate(self) -> None:
        """Kill every worker now; nothing more is reported."""
        self._closed = True
        self._backlog.clear()
        self._stop_all()
        self._events.clear()

    # --- internals ---------------------------------------------------------------------------------------
    def _spawn(self) -> _Worker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main, args=(child_end, self._bootstrap), name="dagmap-local-worker", daemon=True
        )
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def _dispatch(self) -> None:
        for worker in self._workers:
            if not self._backlog:
                return
            if worker.current is None and worker.process.is_alive():
                workload = self._backlog.popleft()
                worker.current = workload
                worker.started = time.monotonic()
                timeout = workload.execution_timeout
                worker.deadline = worker.started + timeout + self._timeout_grace if timeout else None
                try:
                    worker.conn.send(workload)
                except OSError:  # it died just now: its sentinel tells _poll, which reports and replaces it
                    pass

    def _poll(self, timeout: float) -> None:
        """Collect results, report and replace dead and overdue workers, hand out waiting work."""
        handles: dict[Any, _Worker] = {}
        for worker in self._workers:
            handles[worker.conn] = worker
            handles[worker.process.sentinel] = worker
        ready = wait(list(handles), timeout) if handles else []
        dead: list[_Worker] = []
        for handle in ready:
            worker = handles[handle]
            if handle is worker.conn:
                self._receive(worker)
            elif worker not in dead:
                dead.append(worker)
        for worker in dead:
            self._receive(worker)  # a result it sent just before dying still counts
            self._replace(worker, self._death_info(worker))
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.deadline is not None and now > worker.deadline:
                self._receive(worker)  # it may have finished just in time
                if worker.current is None:
                    continue
                limit = worker.current.execution_timeout or 0.0
                worker.process.kill()
                worker.process.join(5)
                self._replace(worker, f"timed out: killed after its execution_timeout of {limit:g}s")
        self._dispatch()

    def _receive(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                state, info = worker.conn.recv()
                event = outcome_event(worker.current, state, info) if worker.current is not None else None
                if event is not None:
                    self._events.append(event)
                worker.current = None
                worker.deadline = None
        except (EOFError, OSError):
            pass

    def _death_info(self, worker: _Worker) -> str:
        worker.process.join(5)
        code = worker.process.exitcode
        if code is not None and code < 0:
            try:
                how = f"signal {signal.Signals(-code).name}"
            except ValueError:
                how = f"signal {-code}"
        else:
            how = f"exit code {code}"
        return f"worker died ({how}, pid {worker.process.pid}) while running this try"

    def _replace(self, worker: _Worker, info: str) -> None:
        if worker.current is not None:
            log.error("%s: %s", worker.current.key, info)
            self._events.append(ExecutorEvent(worker.current.key, TaskInstanceState.FAILED, info))
        worker.conn.close()
        index = self._workers.index(worker)
        if self._closed and not self._backlog:
            del self._workers[index]
        else:
            self._workers[index] = self._spawn()

    def _stop_all(self) -> None:
        for worker in self._workers:
            if worker.process.is_alive():
                worker.process.terminate()
        deadline = time.monotonic() + 2
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)
            worker.conn.close()
        self._workers = []
