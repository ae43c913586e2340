"""Write use-cases of the REST API (``dagmap.api``): trigger, pause, mark a run or one instance, clear, delete a
run, manage pools. States change only through the guarded functions of ``store.queries.task_instances`` (ADR
0002); clears and deletes remove object-store XComs as the CLI's do.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dagmap.errors import DagmapError, IllegalStateTransition
from dagmap.services import api_views
from dagmap.services.dags import get_spec, set_paused
from dagmap.services.pools import PoolInfo
from dagmap.services.runs import DeletedRun, delete_run, trigger_dag_run
from dagmap.services.tasks import ClearResult, Target, clear_task_instances
from dagmap.states import MARKABLE_BY_HAND, DagRunState, TaskInstanceState
from dagmap.store.queries import Session, browsing, dag_runs, task_instances
from dagmap.xcom.backends import XComStorage, xcom_storage_from_settings

S = TaskInstanceState
MARKABLE_INSTANCE = MARKABLE_BY_HAND
IN_FLIGHT = frozenset({S.QUEUED, S.RUNNING, S.RESTARTING, S.DEFERRED})
"""States a worker owns: marking them would overwrite a try in flight."""
MARKABLE_RUN = frozenset({DagRunState.SUCCESS, DagRunState.FAILED, DagRunState.QUEUED})


class PoolAlreadyExists(DagmapError):
    """A pool with this name already exists."""


def pause(session: Session, dag_id: str, paused: bool) -> Any:
    """Pause or unpause a stored DAG; returns its ``dag`` row."""
    api_views.get_dag(session, dag_id)
    set_paused(session, dag_id, paused)
    return api_views.get_dag(session, dag_id)


def trigger(
    session: Session,
    dag_id: str,
    *,
    run_id: str | None = None,
    logical_date: datetime | None = None,
    conf: dict[str, Any] | None = None,
    note: str | None = None,
) -> Any:
    """A queued manual run (``services.runs.trigger_dag_run``, stored spec only); returns its ``dag_run`` row."""
    triggered = trigger_dag_run(session, dag_id, conf=conf, logical_date=logical_date, run_id=run_id)
    if note is not None:
        browsing.set_run_note(session, dag_id, triggered.run.run_id, note)
    return api_views.get_run(session, dag_id, triggered.run.run_id)


def clear(
    session: Session,
    dag_id: str,
    targets: Iterable[Target] | None,
    *,
    run_id: str | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    only_failed: bool = False,
    include_downstream: bool = True,
    dry_run: bool = True,
    storage: XComStorage | None = None,
) -> ClearResult:
    """``services.tasks.clear_task_instances`` from the stored spec; a real clear deletes object-store XComs."""
    if not dry_run and storage is None:
        storage = xcom_storage_from_settings()
    return clear_task_instances(
        session,
        dag_id,
        None if targets is None else list(targets),
        run_id=run_id,
        start_date=start_date,
        end_date=end_date,
        only_failed=only_failed,
        include_downstream=include_downstream,
        dry_run=dry_run,
        storage=storage,
    )


def mark_instance(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int, new_state: str
) -> api_views.InstanceDetail:
    """A person marks one instance success, failed or skipped (``dagmap.states.marking_sources``: from any
    state a worker does not own); IllegalStateTransition when it is queued, running or removed. The run's
    other instances are untouched: clear the downstream ones to run them again."""
    state = _instance_state(new_state)
    row = api_views.get_instance(session, dag_id, run_id, task_id, map_index).row
    current = TaskInstanceState(row.state) if row.state else None
    if current == state:
        return api_views.get_instance(session, dag_id, run_id, task_id, map_index)
    if current in IN_FLIGHT:
        raise IllegalStateTransition(
            f"is {current} in run {run_id!r}: it cannot be marked {state} (wait for its try to end)",
            dag_id=dag_id,
            task_id=task_id,
            map_index=map_index,
        )
    changed = task_instances.mark_by_hand(session, dag_id, run_id, [task_id], state, ranges=[(map_index, map_index)])
    if not changed:
        raise IllegalStateTransition(
            f"cannot be marked {state} from {current or 'no status'} in run {run_id!r}",
            dag_id=dag_id,
            task_id=task_id,
            map_index=map_index,
        )
    session.expire_all()
    return api_views.get_instance(session, dag_id, run_id, task_id, map_index)


def _instance_state(value: str) -> TaskInstanceState:
    try:
        state = TaskInstanceState(value)
    except ValueError:
        state = None
    if state not in MARKABLE_INSTANCE:
        known = ", ".join(sorted(s.value for s in MARKABLE_INSTANCE))
        raise DagmapError(f"an instance can be marked {known}, not {value!r}", argument="new_state")
    return state


def mark_run(session: Session, dag_id: str, run_id: str, state: str, *, storage: XComStorage | None = None) -> Any:
    """Mark a run: ``failed`` moves its unfinished instances but teardowns to failed and ends the run, or lets
    the scheduler end it once its unfinished teardowns have run; ``success`` moves every instance (failed ones
    too, as Airflow does; removed ones stay removed) to success and ends the run; ``queued`` clears
    every instance so that the scheduler runs it again. Returns the ``dag_run`` row."""
    try:
        wanted = DagRunState(state)
    except ValueError:
        wanted = None
    if wanted not in MARKABLE_RUN:
        known = ", ".join(sorted(s.value for s in MARKABLE_RUN))
        raise DagmapError(f"a run can be marked {known}, not {state!r}", dag_id=dag_id, argument="state")
    run = api_views.get_run(session, dag_id, run_id)
    if wanted is DagRunState.QUEUED:
        clear(session, dag_id, None, run_id=run_id, dry_run=False, storage=storage)
        if api_views.get_run(session, dag_id, run_id).state != DagRunState.QUEUED.value:
            dag_runs.set_dag_run_state(session, dag_id, run_id, DagRunState.QUEUED)
    elif wanted is DagRunState.SUCCESS:  # as Airflow: every instance of the run ends successful
        task_instances.finish_unfinished(session, dag_id, run_id, S.SUCCESS)
        task_instances.mark_by_hand(session, dag_id, run_id, None, S.SUCCESS)
        if run.state != wanted.value:
            dag_runs.set_dag_run_state(session, dag_id, run_id, wanted)
    else:
        # As Airflow: teardowns are left out, so that they still clean up after what ran; while one has not
        # finished, the run goes on and the scheduler ends it (failed, as its work failed).
        teardowns = [task.task_id for task in get_spec(session, dag_id).tasks if task.is_teardown]
        task_instances.finish_unfinished(session, dag_id, run_id, S.FAILED, except_task_ids=teardowns)
        pending = task_instances.count_unfinished(session, dag_id, run_id, teardowns)
        if not pending and run.state != wanted.value:
            dag_runs.set_dag_run_state(session, dag_id, run_id, wanted)
    session.expire_all()
    return api_views.get_run(session, dag_id, run_id)


def delete(dag_id: str, run_id: str, *, storage: XComStorage | None = None) -> DeletedRun:
    """Delete a finished run with its rows and object-store XComs (DagRunInProgress while it runs)."""
    return delete_run(dag_id, run_id, storage=storage)


# --- pools ---------------------------------------------------------------------------------------------------


def create_pool(session: Session, name: str, slots: int, description: str | None = None) -> PoolInfo:
    from dagmap.services.pools import set_pool

    if browsing.pool_exists(session, name):
        raise PoolAlreadyExists(f"pool {name!r} already exists (PATCH it to change its slots)", argument="name")
    return set_pool(session, name, slots, description)


def update_pool(session: Session, name: str, *, slots: int | None = None, description: str | None = None) -> PoolInfo:
    from dagmap.services.pools import get_pool, set_pool

    current = get_pool(session, name)
    return set_pool(session, name, current.slots if slots is None else slots, description)


def pool_usage(session: Session) -> dict[str, dict[str, int]]:
    """``{pool: {"queued": slots, "running": slots}}``."""
    return browsing.pool_usage(session)
