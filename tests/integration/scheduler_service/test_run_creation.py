"""Scheduled runs from timetables, as the scheduler service creates them (``maintenance.create_due_runs``):
data intervals, catchup, max_active_runs, @once, schedule=None, pausing, inactive DAGs, new DAG versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from dagmap.model.spec import DagSpec
from dagmap.scheduler import maintenance
from dagmap.states import DagRunState
from dagmap.store import db
from dagmap.store.orm import DagRow, DagRunRow
from dagmap.store.queries import dag_runs, dags, serialized_dags, task_instances
from dagmap.timetables import parse_schedule

DAY = timedelta(days=1)
NOW = datetime(2024, 3, 10, 12, 30, tzinfo=UTC)


def spec(specs: Any, dag_id: str, schedule: str | None, *, tasks: int = 1, **fields: Any) -> DagSpec:
    result: DagSpec = specs.dag(
        dag_id,
        *(specs.task(f"t{i}") for i in range(tasks)),
        timetable=parse_schedule(schedule).serialize(),
        start_date=fields.pop("start_date", datetime(2024, 1, 1, tzinfo=UTC)),
        **fields,
    )
    return result


def store(url: str, dag: DagSpec, now: datetime = NOW) -> None:
    """What the DAG file processor stores for a parsed DAG."""
    with db.session_factory(url).begin() as session:
        dags.create_missing(session, {dag.dag_id: False}, {dag.dag_id: dag.fileloc})
        serialized_dags.upsert(session, dag, now=now)
        dags.set_next_dagruns(session, maintenance.next_dagruns(session, [dag.dag_id], now))


def create(url: str, now: datetime = NOW) -> int:
    with db.session_factory(url).begin() as session:
        return maintenance.create_due_runs(session, now)


def runs(url: str, dag_id: str) -> list[DagRunRow]:
    with db.session_factory(url)() as session:
        statement = select(DagRunRow).where(DagRunRow.dag_id == dag_id).order_by(DagRunRow.logical_date)
        return list(session.scalars(statement))


def dag_row(url: str, dag_id: str) -> DagRow:
    with db.session_factory(url)() as session:
        row = session.get(DagRow, dag_id)
        assert row is not None
        return row


def finish_all(url: str, dag_id: str) -> None:
    with db.session_factory(url).begin() as session:
        for run in runs(url, dag_id):
            if run.state == DagRunState.QUEUED.value:
                dag_runs.set_dag_run_state(session, dag_id, run.run_id, DagRunState.SUCCESS)


def days(*numbers: int) -> list[datetime]:
    return [datetime(2024, 3, n, tzinfo=UTC) for n in numbers]


def test_without_catchup_the_latest_complete_interval_runs_once(url: str, specs: Any) -> None:
    store(url, spec(specs, "daily", "@daily", catchup=False))
    assert create(url) == 1
    [run] = runs(url, "daily")
    assert run.run_id == "scheduled__2024-03-09T00:00:00+00:00"
    assert (run.run_type, run.state) == ("scheduled", "queued")
    assert (run.logical_date, run.data_interval_start, run.data_interval_end) == (*days(9, 9), days(10)[0])
    assert run.run_after == days(10)[0]
    row = dag_row(url, "daily")
    assert (row.next_dagrun, row.next_dagrun_create_after) == (days(10)[0], days(11)[0])
    assert create(url) == 0
    assert create(url, days(11)[0] + timedelta(minutes=1)) == 1
    assert [r.logical_date for r in runs(url, "daily")] == days(9, 10)


def test_catchup_creates_every_interval_within_max_active_runs(url: str, specs: Any) -> None:
    store(url, spec(specs, "caught", "@daily", catchup=True, max_active_runs=3, start_date=days(1)[0]))
    assert create(url) == 3
    assert create(url) == 0  # three runs are active
    finish_all(url, "caught")
    assert create(url) == 3
    assert [r.logical_date for r in runs(url, "caught")] == days(1, 2, 3, 4, 5, 6)
    assert dag_row(url, "caught").next_dagrun == days(7)[0]


def test_once_runs_once_and_none_never(url: str, specs: Any) -> None:
    store(url, spec(specs, "once", "@once"))
    store(url, spec(specs, "manual", None))
    assert create(url) == 1
    finish_all(url, "once")
    assert create(url, NOW + 30 * DAY) == 0
    assert [r.logical_date for r in runs(url, "once")] == [datetime(2024, 1, 1, tzinfo=UTC)]
    assert runs(url, "manual") == []
    for dag_id in ("once", "manual"):
        row = dag_row(url, dag_id)
        assert (row.next_dagrun, row.next_dagrun_create_after) == (None, None)


def test_paused_and_inactive_dags_get_no_runs_and_unpausing_without_catchup_skips_the_gap(url: str, specs: Any) -> None:
    store(url, spec(specs, "pausable", "@daily", catchup=False))
    store(url, spec(specs, "gone", "@daily", catchup=False))
    with db.session_factory(url).begin() as session:
        dags.set_paused(session, "pausable", True)
        dags.deactivate(session, filelocs=["/dags/gone.py"])
    assert create(url) == 0
    later = NOW + 10 * DAY
    with db.session_factory(url).begin() as session:
        dags.set_paused(session, "pausable", False)
    assert create(url, later) == 1
    assert [r.logical_date for r in runs(url, "pausable")] == days(19)
    assert runs(url, "gone") == []


def test_a_new_version_of_the_dag_takes_effect_for_new_runs(url: str, specs: Any) -> None:
    store(url, spec(specs, "growing", "@daily", catchup=False))
    assert create(url) == 1
    store(url, spec(specs, "growing", "@daily", catchup=False, tasks=2))
    assert create(url, days(11)[0]) == 1
    first, second = runs(url, "growing")
    with db.session_factory(url)() as session:
        assert [t.task_id for t in task_instances.list_for_run(session, "growing", first.run_id)] == ["t0"]
        assert [t.task_id for t in task_instances.list_for_run(session, "growing", second.run_id)] == ["t0", "t1"]


def test_a_run_that_already_exists_is_skipped_and_the_schedule_moves_on(url: str, specs: Any) -> None:
    dag = spec(specs, "clash", "@daily", catchup=False)
    store(url, dag)
    with db.session_factory(url).begin() as session:
        dag_runs.create_dag_run(session, dag, run_id="scheduled__2024-03-09T00:00:00+00:00", run_type="manual")
        session.execute(update(DagRunRow).values(state=DagRunState.SUCCESS.value))
    assert create(url) == 0
    assert dag_row(url, "clash").next_dagrun == days(10)[0]


def test_a_dag_at_max_active_runs_is_not_due(url: str, specs: Any) -> None:
    dag = spec(specs, "busy", "@daily", catchup=True, max_active_runs=1, start_date=days(1)[0])
    store(url, dag)
    with db.session_factory(url).begin() as session:
        dag_runs.create_dag_run(session, dag, run_id="manual__1", run_type="manual")
        assert dags.due_dag_ids(session, NOW, limit=10) == []
    assert create(url) == 0
