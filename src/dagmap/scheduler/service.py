"""The long-running scheduler (``dagmap scheduler``): a ``job`` row with heartbeats around a loop of
DAG processing results -> runs due from timetables -> ``SchedulerLoop.step()`` -> executor heartbeat,
plus health checks (orphans of dead schedulers, instances stuck in queued, running ones without heartbeat).

The database being unavailable is logged and waited out with a backoff; SIGTERM/SIGINT stop it gracefully
(a second signal stops at once). See docs/deployment.md and docs/adr/0007-the-scheduler-service.md.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any, Protocol

from dagmap.config import SchedulerSettings, get_settings
from dagmap.executors.base import Executor, ExecutorEvent
from dagmap.scheduler import maintenance
from dagmap.scheduler.health import Backoff, Every, check_interval
from dagmap.scheduler.loop import SchedulerLoop, StepResult
from dagmap.states import TaskInstanceState
from dagmap.store import db
from dagmap.store.orm import DagRunRow
from dagmap.store.queries import Session, SessionFactory, dags, jobs

log = logging.getLogger(__name__)
RUNS_PER_LOOP = 64
"""Queued and running runs one loop examines (least recently examined first)."""
BUSY_PAUSE = 0.0
"""Pause after a loop that made progress (measured on SQLite, 10,000 instances: 0 s beats 5 and 20 ms)."""


class DagProcessing(Protocol):
    """Parses DAG files outside the scheduler's process and stores the results (``DagFileProcessor``)."""

    def poll(self) -> int:
        """Start due parses, store finished ones; never blocks on a file. Returns files stored."""
        ...

    def close(self) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServiceState:
    job_id: int | None = None
    loops: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    force: bool = False


class SchedulerService:
    """Schedules every active DAG of the database with ``executor`` until stopped.

    ``processor`` (optional) parses DAG files in its own subprocesses; without it, another process
    (``dagmap dag-processor``) must keep the serialized DAGs current. ``num_loops`` stops after that many
    loops (tests). Only one scheduler may run on SQLite: a second raises SchedulerAlreadyRunning.
    """

    def __init__(
        self,
        executor: Executor,
        *,
        url: str | None = None,
        processor: DagProcessing | None = None,
        settings: SchedulerSettings | None = None,
        num_loops: int | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.executor = executor
        self.url = url or get_settings().sql_alchemy_conn
        self.settings = settings or get_settings().scheduler
        self.processor = processor
        self.num_loops = num_loops
        self.state = ServiceState()
        self._sessions: SessionFactory = db.session_factory(self.url)
        self._clock = clock
        self._hostname = socket.gethostname()
        self._sqlite = self.url.startswith("sqlite")
        self._backoff = Backoff()
        self._recovered_at: float | None = None
        """When the database came back after being unavailable (monotonic clock)."""
        s = self.settings
        self._heartbeat = Every(s.heartbeat_interval)
        self._checks = Every(
            check_interval(s.heartbeat_interval, s.task_queued_timeout, s.task_instance_heartbeat_timeout)
        )
        self.loop = SchedulerLoop(executor, session_factory=self._sessions, clock=clock, select_runs=self._select_runs)

    # --- life cycle --------------------------------------------------------------------------------------
    def run(self) -> None:
        """Register, loop until stopped, end the executor and the job. Raises SchedulerAlreadyRunning."""
        previous = self._install_signal_handlers()
        try:
            self._register()
            log.info("scheduler started: job %s, executor %s", self.state.job_id, type(self.executor).__name__)
            self._loop()
        finally:
            try:
                if self.state.job_id is not None:
                    self._shut_down()
            finally:
                if self.processor is not None:
                    self.processor.close()
                for signum, handler in previous.items():
                    signal.signal(signum, handler)

    def stop(self, *, force: bool = False) -> None:
        """Ask the loop to end (from any thread or a signal handler); ``force`` drops in-flight work."""
        self.state.force = self.state.force or force
        self.state.stop.set()

    def _install_signal_handlers(self) -> dict[signal.Signals, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def handle(signum: int, _frame: FrameType | None) -> None:
            if self.state.stop.is_set():
                log.warning("%s again: stopping now, without waiting for running tasks", signal.Signals(signum).name)
                self.stop(force=True)
            else:
                log.warning(
                    "%s: stopping after the running tasks end (send it again to stop at once)",
                    signal.Signals(signum).name,
                )
                self.stop()

        return {signum: signal.signal(signum, handle) for signum in (signal.SIGTERM, signal.SIGINT)}

    def _register(self) -> None:
        while not self.state.stop.is_set():
            try:
                with self._sessions.begin() as session:
                    self.state.job_id = self._claim(session)
                self.loop.queued_by = str(self.state.job_id)
                return
            except Exception as error:
                self._wait_out(error)

    def _claim(self, session: Session) -> int:
        return maintenance.register_scheduler(
            session,
            self._clock(),
            hostname=self._hostname,
            pid=os.getpid(),
            timeout=self.settings.scheduler_heartbeat_timeout,
            one_machine=self._sqlite,
            database=db.display_url(self.url),
        )

    def _loop(self) -> None:
        while not self.state.stop.is_set():
            try:
                result = self._iteration()
                if self._backoff.failures:
                    self._recovered_at = time.monotonic()
                    log.warning("database available again")
                self._backoff.succeeded()
            except Exception as error:
                self._wait_out(error)
                continue
            self.state.loops += 1
            if self.num_loops is not None and self.state.loops >= self.num_loops:
                break
            self.state.stop.wait(BUSY_PAUSE if result.progressed else self.settings.loop_interval)

    def _wait_out(self, error: Exception) -> None:
        """A database error: log, back off, go on. Anything else is a bug: raise."""
        if not jobs.is_database_unavailable(error):
            raise error
        delay = self._backoff.failed()
        log.warning("database unavailable (%s): retrying in %.1fs", str(error).splitlines()[0][:200], delay)
        self.state.stop.wait(delay)

    # --- one loop ----------------------------------------------------------------------------------------
    def _iteration(self) -> StepResult:
        if self.processor is not None:
            self.processor.poll()
        tick = time.monotonic()
        if self._heartbeat.due(tick):
            self._beat()
        if self._checks.due(tick):
            self._check_health()
        with self._sessions.begin() as session:
            maintenance.create_due_runs(session, self._clock())
            maintenance.create_asset_triggered_runs(session, self._clock())
        return self.loop.step()

    def _select_runs(self, session: Session) -> list[DagRunRow]:
        runs = dags.runs_to_examine(session, self._clock(), limit=RUNS_PER_LOOP)
        if runs and not self._sqlite:
            dags.lock_pools(session)  # pools are global: one scheduler at a time spends their slots
        return runs

    def _beat(self) -> None:
        assert self.state.job_id is not None
        with self._sessions.begin() as session:
            alive = jobs.heartbeat(session, self.state.job_id, self._clock())
            if not alive:
                log.error("scheduler job %s was ended by another scheduler (no heartbeat in time): re-registering",
                          self.state.job_id)  # fmt: skip
                self.state.job_id = jobs.register(
                    session, jobs.SCHEDULER_JOB, hostname=self._hostname, pid=os.getpid(), now=self._clock()
                )
        self.loop.queued_by = str(self.state.job_id)

    def _check_health(self) -> None:
        s = self.settings
        with self._sessions.begin() as session:
            now = self._clock()
            maintenance.end_dead_schedulers(
                session,
                now,
                hostname=self._hostname,
                timeout=s.scheduler_heartbeat_timeout,
                one_machine=self._sqlite,
                exclude=self.state.job_id,
            )
            maintenance.reset_orphans(session, now)
            # While the database was unavailable no worker could start a try or heartbeat: give them the
            # timeouts again from the moment it came back before judging them stuck or lost.
            if self._waited_since_recovery(s.task_queued_timeout):
                maintenance.requeue_stuck(session, now, s.task_queued_timeout)
            lost = []
            if self._waited_since_recovery(s.task_instance_heartbeat_timeout):
                lost = maintenance.without_heartbeat(session, now, s.task_instance_heartbeat_timeout)
        if lost:
            info = f"no heartbeat for {s.task_instance_heartbeat_timeout:g}s: its worker is gone or stuck"
            names = ", ".join(str(key) for key, _ in lost[:10])
            log.warning("%d running instance(s) without heartbeat: %s", len(lost), names)
            self.loop.handle_events([ExecutorEvent(key, TaskInstanceState.FAILED, info, n) for key, n in lost])

    def _waited_since_recovery(self, seconds: float) -> bool:
        return self._recovered_at is None or time.monotonic() - self._recovered_at >= seconds

    # --- stopping ----------------------------------------------------------------------------------------
    def _shut_down(self) -> None:
        """End the executor (gracefully unless forced), record its last events, end the job."""
        ender = threading.Thread(target=self._end_executor, name="dagmap-executor-end", daemon=True)
        ender.start()
        while ender.is_alive():
            ender.join(0.1)
            if self.state.force:
                self.executor.terminate()
                break
        self._finally_write(lambda: self.loop.handle_events(self.executor.heartbeat()))
        assert self.state.job_id is not None
        job_id = self.state.job_id

        def end_job() -> None:
            with self._sessions.begin() as session:
                maintenance.reset_own_queued(session, job_id, self._clock())
                jobs.end(session, [job_id], state=jobs.ENDED, now=self._clock())

        self._finally_write(end_job)
        log.info("scheduler stopped: job %s", job_id)

    def _end_executor(self) -> None:
        try:
            self.executor.end()
        except Exception:
            log.exception("the executor failed while ending")

    def _finally_write(self, write: Callable[[], None]) -> None:
        """A last write while stopping: tried a few times if the database is unavailable, then given up
        (the next scheduler finds this one dead and cleans up after it)."""
        for _attempt in range(3):
            try:
                write()
                return
            except Exception as error:
                if not jobs.is_database_unavailable(error):
                    raise
                log.warning("database unavailable while stopping: %s", str(error).splitlines()[0][:200])
                time.sleep(0.5)
