"""Run use-cases shared by the CLI and the API: trigger a run, backfill a date range, list runs, and wait for
runs to end. They only write rows; a running scheduler (``dagmap scheduler`` / ``dagmap standalone``) picks
them up. Waiting polls the database and never runs tasks itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagmap.config import get_settings
from dagmap.errors import DagmapError, DagRunAlreadyExists, DagRunInProgress, DagRunNotFound, ParamValidationError
from dagmap.model.spec import DagSpec
from dagmap.services.dags import RunSummary, find_run, get_spec, is_paused
from dagmap.states import DagRunState, DagRunType, TaskInstanceState
from dagmap.store import db
from dagmap.store.queries import Session, SessionFactory, dag_runs, jobs, management, scheduling

if TYPE_CHECKING:
    from dagmap.xcom.backends import XComStorage

RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.~:+-]{1,250}$")
"""Run ids: letters, digits and ``_ . ~ : + -`` (what the default ids use), at most 250 characters."""
FINISHED = frozenset({DagRunState.SUCCESS.value, DagRunState.FAILED.value})


@dataclass(frozen=True)
class TriggeredRun:
    run: RunSummary
    paused: bool
    """The DAG is paused: the run stays queued until it is unpaused."""


@dataclass
class BackfillResult:
    dag_id: str
    created: list[RunSummary] = field(default_factory=list)
    """Runs created (or, for a dry run, that would be created), oldest first."""
    skipped: list[tuple[datetime, str]] = field(default_factory=list)
    """``(logical date, run id of the run already there)`` for dates that already have a run."""
    paused: bool = False
    dry_run: bool = False


def validate_conf(spec: DagSpec, conf: Mapping[str, Any]) -> dict[str, Any]:
    """The run's params from the DAG's params (as stored: no user code) and ``conf``; ParamValidationError
    naming the DAG and the param when a value is missing or does not match its schema."""
    from dagmap.sdk.params import params_from_spec, resolve_params

    try:
        return resolve_params(params_from_spec(spec.params), conf)
    except ParamValidationError as error:
        raise ParamValidationError(error.message, dag_id=spec.dag_id, argument=error.argument) from None


def check_run_id(dag_id: str, run_id: str) -> None:
    if not RUN_ID_PATTERN.match(run_id):
        raise DagmapError(
            f"invalid run id {run_id!r}: use letters, digits and '_', '.', '~', ':', '+', '-' (at most 250)",
            dag_id=dag_id,
            argument="run_id",
        )


def trigger_dag_run(
    session: Session,
    dag_id: str,
    *,
    conf: Mapping[str, Any] | None = None,
    logical_date: datetime | None = None,
    run_id: str | None = None,
    dags_folder: Path | None = None,
    now: datetime | None = None,
) -> TriggeredRun:
    """Create a queued manual run (``manual__<logical date>`` unless ``run_id`` is given).

    The conf is validated against the DAG's params before anything is written; the data interval comes from
    the DAG's timetable. DagRunAlreadyExists when the run id is taken.
    """
    from dagmap.timetables import dagrun_id_for, deserialize

    spec = get_spec(session, dag_id, dags_folder=dags_folder)
    conf = dict(conf or {})
    validate_conf(spec, conf)
    logical_date = (logical_date or now or datetime.now(UTC)).astimezone(UTC)
    run_id = run_id or dagrun_id_for(DagRunType.MANUAL, logical_date)
    check_run_id(dag_id, run_id)
    if management.existing_run_ids(session, dag_id, [run_id]):
        raise DagRunAlreadyExists(f"run {run_id!r} already exists (choose another --run-id)", dag_id=dag_id)
    interval = deserialize(spec.timetable).infer_manual_data_interval(logical_date)
    row = dag_runs.create_dag_run(
        session,
        spec,
        run_id=run_id,
        logical_date=logical_date,
        data_interval=interval,
        run_type=DagRunType.MANUAL,
        conf=conf,
        now=now,
    )
    return TriggeredRun(RunSummary.of(row), paused=bool(is_paused(session, dag_id)))


def backfill(
    session: Session,
    dag_id: str,
    *,
    start: datetime,
    end: datetime,
    conf: Mapping[str, Any] | None = None,
    dags_folder: Path | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> BackfillResult:
    """One queued backfill run per scheduled interval whose logical date is in ``[start, end]`` (within the
    DAG's own start and end dates), skipping logical dates that already have a run of any type."""
    from dagmap.timetables import dagrun_id_for, deserialize, iter_backfill_infos

    spec = get_spec(session, dag_id, dags_folder=dags_folder)
    conf = dict(conf or {})
    validate_conf(spec, conf)
    timetable = deserialize(spec.timetable)
    if not timetable.can_be_scheduled or spec.timetable.get("type") == "continuous":
        raise DagmapError(
            f"has no time-based schedule ({spec.timetable_summary or 'None'}): nothing to backfill; "
            "use 'dagmap dags trigger' instead",
            dag_id=dag_id,
        )
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start > end:
        raise DagmapError(f"the start date {start.isoformat()} is after the end date {end.isoformat()}", dag_id=dag_id)
    if spec.start_date is not None:
        start = max(start, spec.start_date)
    if spec.end_date is not None:
        end = min(end, spec.end_date)
    infos = list(iter_backfill_infos(timetable, start, end)) if start <= end else []
    result = BackfillResult(dag_id, paused=bool(is_paused(session, dag_id)), dry_run=dry_run)
    if not infos:
        return result
    taken = {
        date: run_id
        for run_id, date in management.runs_between(session, dag_id, infos[0].logical_date, infos[-1].logical_date)
        if date is not None
    }
    wanted = {info.logical_date: dagrun_id_for(DagRunType.BACKFILL, info.logical_date) for info in infos}
    ids_taken = management.existing_run_ids(session, dag_id, wanted.values())
    for info in infos:
        run_id = wanted[info.logical_date]
        if info.logical_date in taken or run_id in ids_taken:
            result.skipped.append((info.logical_date, taken.get(info.logical_date, run_id)))
            continue
        if dry_run:
            result.created.append(_planned(dag_id, run_id, info, conf))
            continue
        row = dag_runs.create_dag_run(
            session,
            spec,
            run_id=run_id,
            logical_date=info.logical_date,
            data_interval=info.data_interval,
            run_type=DagRunType.BACKFILL,
            conf=conf,
            now=now,
        )
        result.created.append(RunSummary.of(row))
    return result


def _planned(dag_id: str, run_id: str, info: Any, conf: dict[str, Any]) -> RunSummary:
    interval = info.data_interval
    return RunSummary(
        dag_id, run_id, "(dry run)", DagRunType.BACKFILL.value, info.logical_date, interval.start, interval.end,
        None, None, None, conf,
    )  # fmt: skip


def list_runs(session: Session, dag_id: str, *, state: str | None = None, limit: int | None = None) -> list[RunSummary]:
    """The DAG's runs, newest first, optionally only those in ``state``."""
    states = None
    if state is not None:
        try:
            states = [DagRunState(state)]
        except ValueError:
            known = ", ".join(s.value for s in DagRunState)
            raise DagmapError(f"unknown run state {state!r} (use one of {known})", argument="state") from None
    rows = dag_runs.list_dag_runs(session, dag_id=dag_id, states=states, limit=limit)
    if not rows and not management.dag_is_known(session, dag_id):
        from dagmap.errors import DagNotFound

        raise DagNotFound(dag_id=dag_id)
    return [RunSummary.of(row) for row in rows]


# --- waiting --------------------------------------------------------------------------------------------

TaskCounts = dict[str, dict[TaskInstanceState | None, int]]
ProgressCallback = Callable[[str, str, TaskCounts], None]
"""``(run_id, run state, {task_id: {state: instances}})``; task counts only when waiting for one run."""


def scheduler_alive(session: Session, *, now: datetime | None = None) -> bool:
    """Whether a scheduler job heartbeated within ``scheduler.scheduler_heartbeat_timeout`` seconds."""
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=get_settings().scheduler.scheduler_heartbeat_timeout)
    return any(job.latest_heartbeat >= cutoff for job in jobs.running_jobs(session, jobs.SCHEDULER_JOB))


def wait_for_runs(
    dag_id: str,
    run_ids: Collection[str],
    *,
    poll_interval: float = 1.0,
    on_progress: ProgressCallback | None = None,
    on_no_scheduler: Callable[[], None] | None = None,
    timeout: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    sessions: SessionFactory | None = None,
) -> dict[str, str]:
    """Poll the database until every run is success or failed; returns ``{run_id: state}``.

    A scheduler must be running for the runs to move: ``on_no_scheduler`` is called once when none has
    heartbeated recently. After ``timeout`` seconds the current (unfinished) states are returned.
    """
    wanted = sorted(set(run_ids))
    sessions = sessions or db.session_factory()
    deadline = None if timeout is None else time.monotonic() + timeout
    warned = False
    while True:
        with sessions() as session:
            states = management.run_states(session, dag_id, wanted)
            missing = [run_id for run_id in wanted if run_id not in states]
            if missing:
                raise DagRunNotFound(f"no run {missing[0]!r}", dag_id=dag_id)
            if on_progress is not None:
                for run_id in wanted:
                    counts = management.state_counts_by_task(session, dag_id, run_id) if len(wanted) == 1 else {}
                    on_progress(run_id, states[run_id], counts)
            done = all(state in FINISHED for state in states.values())
            if not done and not warned and not scheduler_alive(session):
                warned = True
                if on_no_scheduler is not None:
                    on_no_scheduler()
        if done or (deadline is not None and time.monotonic() >= deadline):
            return states
        sleep(poll_interval)


@dataclass(frozen=True)
class DeletedRun:
    run: RunSummary
    objects: int
    """XCom values deleted from the object store."""


def delete_run(dag_id: str, run: str, *, storage: XComStorage | None = None) -> DeletedRun:
    """Delete a DAG run (by run id or logical date): its task instances, their tries, XComs, rendered fields,
    task_map rows, then the XCom values the object store holds for it.

    Refused (``DagRunInProgress``) while any of its instances is queued or running; ``DagRunNotFound`` when
    there is no such run. The rows go in one transaction first: if deleting the objects then fails, the run
    is gone and a later ``delete_run`` of the same run id cleans up the objects left.
    """
    from dagmap.xcom.backends import xcom_storage_from_settings

    with db.session_scope() as session:
        summary = find_run(session, dag_id, run)
        key = (summary.dag_id, summary.run_id)
        counts = scheduling.state_counts(session, [key])
        busy = sorted({c.task_id for c in counts if c.state in _IN_FLIGHT and c.number})
        if busy:
            raise DagRunInProgress(
                f"DAG run {summary.run_id!r} of {dag_id!r} has instances queued or running ({', '.join(busy)}): "
                "wait for them to end before deleting the run"
            )
        dag_runs.delete_dag_run(session, summary.dag_id, summary.run_id)
    objects = (storage or xcom_storage_from_settings()).delete_run(summary.dag_id, summary.run_id)
    return DeletedRun(summary, objects)


_IN_FLIGHT = frozenset({TaskInstanceState.QUEUED, TaskInstanceState.RUNNING})
