"""The scheduler's shell: one ``step()`` loads rows in bulk, calls the pure decisions, writes in bulk, hands
workloads to the executor and reacts to its events. ``run_until_done()`` drives runs to the end (``dags test``).

A step runs in two short transactions around the executor's heartbeat, so that an in-process executor's
tasks never wait for the scheduler's locks. See docs/scheduling.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dagmap.config import get_settings
from dagmap.errors import DagRunNotFound, PoolNotFound
from dagmap.executors.base import Executor, ExecutorEvent
from dagmap.model.spec import DagSpec
from dagmap.scheduler.planning import RunPlanner
from dagmap.scheduler.retries import failure_outcome
from dagmap.scheduler.run_state import effective_leaves, run_state
from dagmap.scheduler.submit import Submitter
from dagmap.scheduler.views import RunKey, build_views
from dagmap.states import DagRunState, TaskInstanceState
from dagmap.store import db
from dagmap.store.orm import DagRunRow
from dagmap.store.queries import (
    Session,
    SessionFactory,
    callbacks,
    dag_runs,
    scheduling,
    serialized_dags,
    task_instances,
)

log = logging.getLogger(__name__)
FINISHED_RUNS = frozenset({DagRunState.SUCCESS, DagRunState.FAILED})


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class StepResult:
    runs: dict[RunKey, DagRunState] = field(default_factory=dict)
    """Every run the step looked at, with its state at the end of the step."""
    changed: int = 0
    """Instances expanded, decided or moved to scheduled for a retry."""
    queued: int = 0
    events: int = 0
    finished: int = 0
    unknown_pools: frozenset[str] = frozenset()
    next_retry_at: datetime | None = None
    busy: int = 0
    """Instances of these runs queued or running at the end of the step (handed to an executor)."""

    @property
    def progressed(self) -> bool:
        return bool(self.changed or self.queued or self.events or self.finished)


class SchedulerLoop:
    """Schedules DAG runs from their serialized specs and database rows, never from user code."""

    def __init__(
        self,
        executor: Executor,
        *,
        session_factory: SessionFactory | None = None,
        url: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        max_tis_per_query: int = 512,
        name: str = "scheduler",
        enforce_limits: bool = True,
        select_runs: Callable[[Session], list[DagRunRow]] | None = None,
    ) -> None:
        """``select_runs`` picks the runs a step without ``run_ids`` works on (default: every queued or running
        run); the scheduler service passes a bounded, row-locking selection (``dags.runs_to_examine``)."""
        self.executor = executor
        self._select_runs = select_runs
        self._sessions = session_factory or db.session_factory(url)
        self._clock = clock
        self._sleep = sleep
        self._submitter = Submitter(name, max_tis_per_query, enforce_limits=enforce_limits)
        self._planner = RunPlanner()
        self._started = False

    # --- one step -----------------------------------------------------------------------------------------
    def step(self, run_ids: Collection[RunKey] | None = None) -> StepResult:
        """One scheduling pass over the given runs (default: every queued or running run)."""
        if not self._started:
            self.executor.start()
            self._started = True
        result = StepResult()
        now = self._clock()
        with self._sessions.begin() as session:
            runs = self._load_runs(session, run_ids)
            versions = serialized_dags.load_versions(session, {r.dag_id for r in runs})
            specs = {dag_id: spec for dag_id, (_, spec) in versions.items()}
            hashes = {dag_id: digest for dag_id, (digest, _) in versions.items()}
            running = self._start_queued(session, runs, specs, now, result)
            running = self._time_out(session, running, specs, now, result)
            keys = [(r.dag_id, r.run_id) for r in running]
            plan = self._planner.plan(session, running, specs, hashes, now)
            result.changed += plan.changed
            result.changed += task_instances.schedule_due_retries(session, keys, now)
            submission = self._submitter.submit(session, keys, specs, executor_slots=self.executor.open_slots, now=now)
            result.unknown_pools = submission.unknown_pools
        for workload in submission.workloads:
            self.executor.queue_workload(workload)
        result.queued = len(submission.workloads)
        events = self.executor.heartbeat()
        result.events = len(events)
        now = self._clock()
        with self._sessions.begin() as session:
            self._handle_events(session, events, specs, now)
            self._update_run_states(session, running, specs, plan.stuck, now, result)
            result.next_retry_at = scheduling.earliest_retry(session, keys)
        for run in runs:
            result.runs.setdefault((run.dag_id, run.run_id), DagRunState(run.state))
        return result

    def _load_runs(self, session: Session, run_ids: Collection[RunKey] | None) -> list[DagRunRow]:
        if run_ids is None:
            return self._select_runs(session) if self._select_runs else dag_runs.active_runs(session)
        found = dag_runs.find_dag_runs(session, run_ids)
        missing = set(run_ids) - {(r.dag_id, r.run_id) for r in found}
        if missing:
            dag_id, run_id = sorted(missing)[0]
            raise DagRunNotFound(f"no run {run_id!r}", dag_id=dag_id)
        return [r for r in found if r.state in (DagRunState.QUEUED.value, DagRunState.RUNNING.value)]

    def _start_queued(
        self, session: Session, runs: list[DagRunRow], specs: Mapping[str, DagSpec], now: datetime, result: StepResult
    ) -> list[DagRunRow]:
        """Queued runs start when their DAG has fewer running runs than ``max_active_runs``."""
        runs = [r for r in runs if r.dag_id in specs]
        queued = sorted((r for r in runs if r.state == DagRunState.QUEUED.value), key=lambda r: (r.run_after, r.id))
        if not queued:
            return runs
        running = dag_runs.running_counts(session, {r.dag_id for r in queued})
        for run in queued:
            if running.get(run.dag_id, 0) < specs[run.dag_id].max_active_runs:
                dag_runs.set_dag_run_state(session, run.dag_id, run.run_id, DagRunState.RUNNING, now=now)
                run.state = DagRunState.RUNNING.value
                running[run.dag_id] = running.get(run.dag_id, 0) + 1
                result.changed += 1
        return [r for r in runs if r.state == DagRunState.RUNNING.value]

    def _time_out(
        self, session: Session, runs: list[DagRunRow], specs: Mapping[str, DagSpec], now: datetime, result: StepResult
    ) -> list[DagRunRow]:
        """Runs older than ``dagrun_timeout`` fail; their unfinished instances are skipped."""
        kept = []
        for run in runs:
            timeout = specs[run.dag_id].dagrun_timeout
            if timeout is None or run.start_date is None or (now - run.start_date).total_seconds() <= timeout:
                kept.append(run)
                continue
            task_instances.finish_unfinished(session, run.dag_id, run.run_id, TaskInstanceState.SKIPPED)
            dag_runs.set_dag_run_state(session, run.dag_id, run.run_id, DagRunState.FAILED, now=now)
            detail = f"timed out after {timeout}s"
            dag_runs.record_run_event(session, run.dag_id, run.run_id, "dag_run_failed", detail)
            _request_callback(session, specs[run.dag_id], run, DagRunState.FAILED, "timed_out", detail, now)
            run.state = DagRunState.FAILED.value
            result.finished += 1
        return kept

    @property
    def queued_by(self) -> str:
        """What this loop writes into ``task_instance.queued_by`` (the scheduler service: its job id)."""
        return self._submitter.name

    @queued_by.setter
    def queued_by(self, name: str) -> None:
        self._submitter.name = name

    def handle_events(self, events: list[ExecutorEvent]) -> None:
        """React to executor events outside a step, in a transaction of their own (events collected while
        the executor ends, and instances the scheduler service found lost: no heartbeat)."""
        if events:
            with self._sessions.begin() as session:
                self._handle_events(session, events, {}, self._clock())

    # --- after the executor's heartbeat -----------------------------------------------------------------
    def _handle_events(
        self, session: Session, events: list[ExecutorEvent], specs: dict[str, DagSpec], now: datetime
    ) -> None:
        """A failed event for an instance still queued or running: its process died before it recorded its
        end, so the scheduler ends the try (retry or failure) — unless the event is about an earlier try."""
        failed: dict[tuple[str, str, str, int], ExecutorEvent] = {
            (e.key.dag_id, e.key.run_id, e.key.task_id, e.key.map_index): e
            for e in events
            if e.state is TaskInstanceState.FAILED
        }
        for dag_id, run_id, task_id, map_index, state, try_number, max_tries in scheduling.lost_candidates(
            session, list(failed)
        ):
            event = failed[(dag_id, run_id, task_id, map_index)]
            tried = try_number if state is TaskInstanceState.RUNNING else try_number + 1
            if event.try_number is not None and event.try_number != tried:
                log.info(
                    "%s: ignored a failure of try %d, the instance is on try %d", event.key, event.try_number, tried
                )
                continue
            if dag_id not in specs:
                specs.update(serialized_dags.load_many(session, [dag_id]))
            task = specs[dag_id].tasks_by_id.get(task_id) if dag_id in specs else None
            if task is None:
                new_state, retry_at = TaskInstanceState.FAILED, None
            else:
                new_state, retry_at = failure_outcome(task, tried, now, max_tries=max_tries)
            log.warning("%s was %s when its executor reported it failed: now %s", event.key, state, new_state)
            task_instances.fail_lost(
                session, event.key, expected=state, state=new_state, next_retry_at=retry_at, error=event.info
            )

    def _update_run_states(
        self,
        session: Session,
        runs: list[DagRunRow],
        specs: Mapping[str, DagSpec],
        stuck: Mapping[RunKey, tuple[str, ...]],
        now: datetime,
        result: StepResult,
    ) -> None:
        keys = [(r.dag_id, r.run_id) for r in runs]
        views = build_views(keys, scheduling.state_counts(session, keys))
        for run in runs:
            key = (run.dag_id, run.run_id)
            view = views[key]
            result.busy += view.count(TaskInstanceState.QUEUED, TaskInstanceState.RUNNING)
            spec = specs[run.dag_id]
            leaves = effective_leaves(
                {t.task_id: t.downstream_task_ids for t in spec.tasks},
                {t.task_id for t in spec.tasks if t.is_teardown and not t.on_failure_fail_dagrun},
            )
            verdict = run_state(view.counts_by_task(), leaves, stuck=key in stuck, stuck_tasks=stuck.get(key, ()))
            if verdict.state is DagRunState.RUNNING:
                continue
            dag_runs.set_dag_run_state(session, run.dag_id, run.run_id, verdict.state, now=now)
            run.state = verdict.state.value
            result.finished += 1
            if verdict.reason and verdict.state is DagRunState.FAILED:
                log.warning("DAG run %s of %s failed: %s", run.run_id, run.dag_id, verdict.reason)
                dag_runs.record_run_event(session, run.dag_id, run.run_id, "dag_run_failed", verdict.reason)
            # Airflow's reasons: a failed run whose instances are stuck is a deadlock, else a task failed.
            reason = "success" if verdict.state is DagRunState.SUCCESS else "task_failure"
            if key in stuck and verdict.state is DagRunState.FAILED:
                reason = "all_tasks_deadlocked"
            _request_callback(session, spec, run, verdict.state, reason, verdict.reason, now)

    # --- driving runs to their end --------------------------------------------------------------------
    def run_until_done(
        self, run_ids: Collection[RunKey], *, poll: float = 0.0, timeout: float | None = None
    ) -> dict[RunKey, DagRunState]:
        """Step (and heartbeat the executor) until every given run finished; returns their states.

        With nothing to do but retries, sleeps until the earliest ``next_retry_at``. After ``timeout`` seconds
        it returns anyway (unfinished runs then show ``queued``/``running``). Raises PoolNotFound when the
        only instances left wait for pools that do not exist.
        """
        wanted = list(dict.fromkeys(run_ids))
        deadline = None if timeout is None else time.monotonic() + timeout
        idle = max(get_settings().scheduler.loop_interval, 0.01)
        states: dict[RunKey, DagRunState] = {}
        while True:
            result = self.step(wanted)
            states.update(result.runs)
            if all(states.get(run) in FINISHED_RUNS for run in wanted):
                return {run: states[run] for run in wanted}
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                log.warning("runs still unfinished after %ss: %s", timeout, states)
                return {run: states[run] for run in wanted}
            if result.progressed:
                pause = poll
            elif result.next_retry_at is not None:
                pause = max((result.next_retry_at - self._clock()).total_seconds(), 0.0)
            elif result.unknown_pools and not result.busy:
                raise PoolNotFound(
                    f"task instances wait for pools that do not exist: {', '.join(sorted(result.unknown_pools))}"
                )
            else:
                pause = max(poll, idle)
            if remaining is not None:
                pause = min(pause, remaining)
            if pause > 0:
                self._sleep(pause)

    def close(self) -> None:
        """End the executor (work handed over finishes; its events are no longer collected)."""
        if self._started:
            self.executor.end()
            self._started = False


def _request_callback(
    session: Session,
    spec: DagSpec,
    run: DagRunRow,
    state: DagRunState,
    reason: str,
    detail: str | None,
    now: datetime,
) -> None:
    """Ask the DAG processor to run the DAG's callback for this run's end, only when the DAG has one (ADR 0008)."""
    failed = state is DagRunState.FAILED
    if not (spec.has_on_failure_callback if failed else spec.has_on_success_callback):
        return
    callbacks.add(
        session,
        dag_id=run.dag_id,
        run_id=run.run_id,
        fileloc=spec.fileloc,
        is_failure=failed,
        reason=reason,
        detail=detail,
        now=now,
    )
