"""The scheduler service's shell around what a step does not decide: scheduled runs created from timetables,
scheduler jobs registered or found dead, instances orphaned by a dead scheduler or stuck in ``queued`` sent
back to ``scheduled``, running instances without a recent heartbeat found (the caller fails them as lost).

Each function works inside the caller's transaction and issues a bounded number of statements.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from dagmap.errors import DagRunAlreadyExists, SchedulerAlreadyRunning
from dagmap.model.keys import TaskInstanceKey
from dagmap.scheduler.asset_triggers import plan_run, satisfied_dag_ids
from dagmap.scheduler.health import classify_jobs
from dagmap.scheduler.run_creation import next_run, plan_runs
from dagmap.states import DagRunState, DagRunType, TaskInstanceState
from dagmap.store.queries import Session, assets, dag_runs, dags, jobs, serialized_dags, task_instances
from dagmap.store.queries._sql import to_ranges
from dagmap.timetables import DagRunInfo, DataInterval, dagrun_id_for

log = logging.getLogger(__name__)
BATCH = 1000
"""Instances one health check moves at most (the next check takes the rest)."""
DAGS_PER_LOOP = 64
"""DAGs whose due runs one loop creates at most."""
ASSET_DAGS_PER_LOOP = 512
"""DAGs with queued assets one loop evaluates at most (most wait for more assets: evaluating is cheap)."""


def _fields(info: DagRunInfo | None) -> dags.NextDagRun:
    if info is None:
        return dags.NO_NEXT_RUN
    data = info.data_interval
    return dags.NextDagRun(info.logical_date, data.start, data.end, info.run_after)


def create_due_runs(session: Session, now: datetime, *, limit: int = DAGS_PER_LOOP) -> int:
    """Scheduled runs for every active, unpaused DAG whose next run is due and that is below
    ``max_active_runs``; advances their ``next_dagrun*`` fields. Returns how many runs were created."""
    dag_ids = dags.due_dag_ids(session, now, limit=limit)
    if not dag_ids:
        return 0
    specs = serialized_dags.load_many(session, dag_ids)
    active = dags.active_run_counts(session, dag_ids)
    last = dags.last_automated_intervals(session, dag_ids)
    created = 0
    upcoming: dict[str, dags.NextDagRun] = {}
    for dag_id in dag_ids:
        spec = specs.get(dag_id)
        if spec is None:
            upcoming[dag_id] = dags.NO_NEXT_RUN
            continue
        previous = DataInterval(*last[dag_id]) if dag_id in last else None
        plan = plan_runs(spec, previous, active=active.get(dag_id, 0), now=now)
        for info in plan.create:
            run_id = dagrun_id_for(DagRunType.SCHEDULED, info.logical_date)
            try:
                with session.begin_nested():
                    dag_runs.create_dag_run(
                        session,
                        spec,
                        run_id=run_id,
                        logical_date=info.logical_date,
                        data_interval=info.data_interval,
                        run_type=DagRunType.SCHEDULED,
                        state=DagRunState.QUEUED,
                        run_after=info.run_after,
                        now=now,
                    )
            except DagRunAlreadyExists:
                log.info("run %s of %s already exists: not created again", run_id, dag_id)
                continue
            created += 1
            log.info("created run %s of %s", run_id, dag_id)
        upcoming[dag_id] = _fields(plan.next)
    dags.set_next_dagruns(session, upcoming)
    return created


def create_asset_triggered_runs(session: Session, now: datetime, *, limit: int = ASSET_DAGS_PER_LOOP) -> int:
    """A run for every active, unpaused DAG below ``max_active_runs`` whose asset condition holds for the assets
    queued for it; the run consumes (links) their events and their queue rows. A fixed number of statements
    plus one run creation per triggered DAG. Returns how many runs were created."""
    dag_ids = assets.queued_dag_ids(session, limit=limit)
    if not dag_ids:
        return 0
    queued = assets.queued_assets(session, dag_ids)
    specs = serialized_dags.load_many(session, list(queued))
    chosen = satisfied_dag_ids(specs, {dag_id: [item.uri for item in items] for dag_id, items in queued.items()})
    if not chosen:
        return 0
    consumed = {dag_id: queued[dag_id] for dag_id in chosen}
    spans = assets.event_spans(session, consumed)
    created: dict[str, int] = {}
    for dag_id in chosen:
        plan = plan_run(dag_id, now, spans.get(dag_id))
        try:
            with session.begin_nested():
                run = dag_runs.create_dag_run(
                    session,
                    specs[dag_id],
                    run_id=plan.run_id,
                    logical_date=plan.logical_date,
                    data_interval=plan.data_interval,
                    run_type=DagRunType.ASSET_TRIGGERED,
                    state=DagRunState.QUEUED,
                    run_after=now,
                    now=now,
                )
        except DagRunAlreadyExists:
            log.info("run %s of %s already exists: its assets stay queued", plan.run_id, dag_id)
            continue
        created[dag_id] = run.id
        log.info("created run %s of %s (assets %s updated)", plan.run_id, dag_id,
                 ", ".join(item.uri for item in consumed[dag_id]))  # fmt: skip
    assets.consume(session, consumed, created)
    return len(created)


def next_dagruns(session: Session, dag_ids: Sequence[str], now: datetime) -> dict[str, dags.NextDagRun]:
    """The next automated run of each (just parsed) DAG, after its latest scheduled or backfill run."""
    specs = serialized_dags.load_many(session, dag_ids)
    last = dags.last_automated_intervals(session, dag_ids)
    found: dict[str, dags.NextDagRun] = {}
    for dag_id, spec in specs.items():
        previous = DataInterval(*last[dag_id]) if dag_id in last else None
        found[dag_id] = _fields(next_run(spec, previous, now))
    return found


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def end_dead_schedulers(
    session: Session,
    now: datetime,
    *,
    hostname: str,
    timeout: float,
    one_machine: bool,
    exclude: int | None = None,
    lock: bool = False,
) -> list[jobs.JobInfo]:
    """Scheduler jobs found dead end as ``failed`` (their queued instances then count as orphans); returns
    the live ones. ``one_machine`` (SQLite): a job of this host is live exactly while its process exists."""
    running = [job for job in jobs.running_jobs(session, jobs.SCHEDULER_JOB, lock=lock) if job.id != exclude]
    verdict = classify_jobs(
        running, now=now, timeout=timeout, hostname=hostname, process_exists=process_exists if one_machine else None
    )
    if verdict.dead:
        jobs.end(session, verdict.dead, state=jobs.DEAD, now=now)
        log.warning("scheduler job(s) %s found dead: what they queued is scheduled again", list(verdict.dead))
    return [job for job in running if job.id in verdict.live]


def register_scheduler(
    session: Session, now: datetime, *, hostname: str, pid: int, timeout: float, one_machine: bool, database: str
) -> int:
    """A new scheduler job; on a one-machine database (SQLite) refused while another scheduler lives."""
    live = end_dead_schedulers(session, now, hostname=hostname, timeout=timeout, one_machine=one_machine, lock=True)
    if live and one_machine:
        other = live[0]
        raise SchedulerAlreadyRunning(
            f"another scheduler is running on this SQLite database (job {other.id}, pid {other.pid} on "
            f"{other.hostname}); SQLite supports one scheduler at a time: stop it first, or use PostgreSQL "
            "to run several",
            database=database,
        )
    return jobs.register(session, jobs.SCHEDULER_JOB, hostname=hostname, pid=pid, now=now)


def _to_scheduled(session: Session, keys: Sequence[TaskInstanceKey], now: datetime) -> int:
    """queued -> scheduled for these instances (guarded: those that started meanwhile stay as they are)."""
    by_task: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for key in keys:
        by_task[(key.dag_id, key.run_id, key.task_id)].append(key.map_index)
    moved = 0
    for (dag_id, run_id, task_id), indexes in sorted(by_task.items()):
        moved += task_instances.set_states(
            session,
            dag_id,
            run_id,
            [task_id],
            TaskInstanceState.SCHEDULED,
            from_states=[TaskInstanceState.QUEUED],
            ranges=to_ranges(indexes),
            now=now,
        )
    return moved


def reset_orphans(session: Session, now: datetime) -> int:
    """Instances queued by schedulers that are no longer running go back to scheduled, to be queued again
    (their executor's backlog died with them). Running instances are left to the heartbeat check."""
    keys = jobs.orphaned_queued(session, limit=BATCH)
    moved = _to_scheduled(session, keys, now)
    if moved:
        log.warning("%d instance(s) queued by a scheduler that is gone: scheduled again", moved)
    return moved


def reset_own_queued(session: Session, job_id: int, now: datetime) -> int:
    """Instances this scheduler queued that its (terminated) executor will never run: scheduled again."""
    total = 0
    while keys := jobs.queued_by_job(session, job_id, limit=BATCH):
        moved = _to_scheduled(session, keys, now)
        total += moved
        if moved < len(keys):
            break
    return total


def requeue_stuck(session: Session, now: datetime, timeout: float) -> int:
    """Instances queued longer than ``timeout`` seconds (no worker started them) go back to scheduled."""
    keys = jobs.queued_before(session, now - timedelta(seconds=timeout), limit=BATCH)
    moved = _to_scheduled(session, keys, now)
    if moved:
        log.warning("%d instance(s) queued for more than %gs (task_queued_timeout): scheduled again", moved, timeout)
    return moved


def without_heartbeat(session: Session, now: datetime, timeout: float) -> list[tuple[TaskInstanceKey, int]]:
    """Running instances whose last heartbeat is older than ``timeout`` seconds, with their try numbers."""
    return jobs.without_heartbeat(session, now - timedelta(seconds=timeout), limit=BATCH)
