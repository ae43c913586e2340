"""The LocalExecutor: a pool of long-lived worker processes, each running many workloads one after another.

A supervisor thread in the scheduler's process hands each idle worker its next workload (or batch) over the
worker's own pipe, so it knows at all times what every worker runs: a worker that dies or overruns its
``execution_timeout`` is reported exactly and replaced. See docs/adr/0006-local-executor-worker-pool.md.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from dagmap.executors.base import ExecutorEvent, Workload
from dagmap.executors.local.worker import PRELOAD, RunWorkload, RunWorkloads, run_workloads, worker_main
from dagmap.states import TaskInstanceState

log = logging.getLogger(__name__)

QUEUE_DEPTH_PER_WORKER = 64
"""Default workloads accepted beyond one per worker: they wait in the parent and go to the first free worker,
so workers never idle between two scheduler loops."""
BATCH_SIZE = 4
"""Default most workloads a worker runs as one batch, when the backlog is that deep (see the ADR: a worker
that dies fails its whole batch)."""


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    current: list[Workload] = field(default_factory=list)
    """The batch it runs (empty: idle)."""
    deadline: float | None = None


class LocalExecutor:
    """Runs workloads on ``parallelism`` worker processes (default ``core.parallelism``: one per core).

    A worker runs either one workload at a time with ``run``, or up to ``batch_size`` at a time with
    ``run_batch`` (default :func:`run_workloads`: tries start and end in bulk; a workload with an
    ``execution_timeout`` always runs alone). Either must be a module-level function, importable by workers.
    ``open_slots`` is ``parallelism + queue_depth`` minus the workloads handed over and not yet ended.
    ``timeout_grace`` seconds after its ``execution_timeout`` a workload's worker is killed and replaced.
    """

    def __init__(
        self,
        parallelism: int | None = None,
        run: RunWorkload | None = None,
        *,
        run_batch: RunWorkloads | None = None,
        batch_size: int = BATCH_SIZE,
        queue_depth: int | None = None,
        timeout_grace: float = 5.0,
        start_method: str = "forkserver",
    ) -> None:
        from dagmap.config import get_settings

        if run is not None and run_batch is not None:
            raise TypeError("give at most one of run and run_batch")
        self.parallelism = parallelism or get_settings().parallelism
        self.queue_depth = QUEUE_DEPTH_PER_WORKER * self.parallelism if queue_depth is None else queue_depth
        self._runners = (run, None) if run is not None else (None, run_batch or run_workloads)
        self.batch_size = max(1, batch_size) if run is None else 1
        self._timeout_grace = timeout_grace
        self._context: Any = multiprocessing.get_context(start_method)  # typeshed's BaseContext lacks Process
        if start_method == "forkserver":  # effective only before the fork server starts (once per process)
            self._context.set_forkserver_preload(list(PRELOAD))
        self._lock = threading.Condition()
        self._workers: list[_Worker] = []
        self._backlog: deque[Workload] = deque()
        self._events: list[ExecutorEvent] = []
        self._open = False
        self._stopping = False
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._wake_read, self._wake_write = -1, -1
        self._bootstrap = b""

    # --- the Executor protocol (scheduler thread) --------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the executor is already started")
        self._bootstrap = pickle.dumps((dict(os.environ), list(sys.path), os.getcwd(), pickle.dumps(self._runners)))
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._workers = [self._spawn() for _ in range(self.parallelism)]
        self._open, self._stopping = True, False
        self._thread = threading.Thread(target=self._supervise, name="dagmap-local-executor", daemon=True)
        self._thread.start()

    def queue_workload(self, workload: Workload) -> None:
        with self._lock:
            if not self._open:
                raise RuntimeError("the executor is not running; start() it before queueing")
            self._backlog.append(workload)
        self._wake()

    @property
    def open_slots(self) -> int:
        with self._lock:
            if not self._open:
                return 0
            return max(0, self.parallelism + self.queue_depth - self._outstanding())

    def heartbeat(self) -> list[ExecutorEvent]:
        with self._lock:
            if self._failure is not None:
                raise RuntimeError("the LocalExecutor's supervisor thread failed") from self._failure
            events, self._events = self._events, []
        return events

    def end(self) -> None:
        """Refuse new work, wait until everything handed over has ended (events stay for ``heartbeat()``),
        then stop the workers."""
        with self._lock:
            self._open = False
            self._lock.wait_for(lambda: not self._outstanding() or self._failure is not None)
        self._shut_down(graceful=True)

    def terminate(self) -> None:
        """Kill every worker now; nothing more is reported."""
        with self._lock:
            self._open = False
            self._backlog.clear()
        self._shut_down(graceful=False)
        with self._lock:
            self._events.clear()

    # --- the supervisor thread ---------------------------------------------------------------------------
    def _supervise(self) -> None:
        try:
            while not self._stopping:
                with self._lock:
                    self._dispatch()
                    handles: dict[Any, _Worker] = {w.conn: w for w in self._workers}
                    handles.update({w.process.sentinel: w for w in self._workers})
                    deadlines = [w.deadline for w in self._workers if w.deadline is not None]
                timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
                ready = wait([self._wake_read, *handles], timeout)
                if self._wake_read in ready:
                    self._drain_wake()
                with self._lock:
                    self._collect([handles[h] for h in ready if h in handles], ready)
                    self._lock.notify_all()
        except BaseException as error:  # a bug here must not hang the scheduler: heartbeat() re-raises it
            log.exception("the LocalExecutor's supervisor failed")
            with self._lock:
                self._failure = error
                self._lock.notify_all()

    def _dispatch(self) -> None:
        idle = [worker for worker in self._workers if not worker.current]
        # Batches only under load (a full batch waiting for every worker): small runs keep tries isolated.
        size = self.batch_size if len(self._backlog) >= self.batch_size * self.parallelism else 1
        for worker in idle:
            if not self._backlog:
                return
            batch = [self._backlog.popleft()]
            while len(batch) < size and self._backlog and not batch[0].execution_timeout:
                if self._backlog[0].execution_timeout:  # a try with a time limit runs alone
                    break
                batch.append(self._backlog.popleft())
            limit = batch[0].execution_timeout
            worker.current = batch
            worker.deadline = time.monotonic() + limit + self._timeout_grace if limit else None
            with contextlib.suppress(OSError):  # it died just now: its sentinel reports it and it is replaced
                worker.conn.send(batch)

    def _collect(self, touched: list[_Worker], ready: list[Any]) -> None:
        for worker in dict.fromkeys(touched):
            self._receive(worker)
            if worker.process.sentinel in ready:
                self._replace(worker, self._death_info(worker))
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.current and worker.deadline is not None and now >= worker.deadline:
                self._receive(worker)  # it may have finished just in time
                if worker.current:
                    worker.process.kill()
                    worker.process.join(5)
                    limit = worker.current[0].execution_timeout or 0.0
                    self._replace(worker, f"timed out: killed after its execution_timeout of {limit:g}s")

    def _receive(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                for workload, (state, info) in zip(worker.current, worker.conn.recv(), strict=True):
                    if state is not None:  # None: not startable, nothing ran, nothing to report
                        self._events.append(ExecutorEvent.of(workload, TaskInstanceState(state), info))
                worker.current, worker.deadline = [], None
        except (EOFError, OSError):
            pass

    def _death_info(self, worker: _Worker) -> str:
        worker.process.join(5)
        code = worker.process.exitcode or 0
        how = f"exit code {code}" if code >= 0 else f"signal {_signal_name(-code)}"
        what = f"a batch of {len(worker.current)} tries, this one among them" if len(worker.current) > 1 else "this try"
        return f"worker died ({how}, pid {worker.process.pid}) while running {what}"

    def _replace(self, worker: _Worker, info: str) -> None:
        for workload in worker.current:
            log.error("%s: %s", workload.key, info)
            self._events.append(ExecutorEvent.of(workload, TaskInstanceState.FAILED, info))
        worker.conn.close()
        index = self._workers.index(worker)
        if self._open or self._backlog:
            self._workers[index] = self._spawn()
        else:
            del self._workers[index]

    # --- helpers -----------------------------------------------------------------------------------------
    def _outstanding(self) -> int:
        return len(self._backlog) + sum(len(worker.current) for worker in self._workers)

    def _spawn(self) -> _Worker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker_main, args=(child_end, self._bootstrap), name="dagmap-local-worker", daemon=True
        )
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full (already awake) or closed (shut down)
            os.write(self._wake_write, b"x")

    def _drain_wake(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self._wake_read, 4096):
                pass

    def _shut_down(self, *, graceful: bool) -> None:
        self._stopping = True
        if self._thread is not None:
            self._wake()
            self._thread.join(10)
            self._thread = None
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None) if graceful else worker.process.kill()
        for worker in self._workers:
            worker.process.join(5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)
            worker.conn.close()
        self._workers = []
        for fd in (self._wake_read, self._wake_write):
            if fd >= 0:
                os.close(fd)
        self._wake_read = self._wake_write = -1


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
