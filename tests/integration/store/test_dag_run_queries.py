"""Creating runs with their instances in bulk; serialized DAGs; run states."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from dagmap.errors import DagNotFound, DagRunAlreadyExists, DagRunNotFound, IllegalStateTransition
from dagmap.model.spec import TaskGroupSpec
from dagmap.states import DagRunState
from dagmap.store import db
from dagmap.store.queries import dag_runs, serialized_dags, task_instances

DAY = datetime(2026, 3, 1, tzinfo=UTC)


def _instances(session: Session, run_id: str) -> dict[str, list[tuple[int, str | None]]]:
    found: dict[str, list[tuple[int, str | None]]] = {}
    for row in task_instances.list_for_run(session, "d", run_id):
        found.setdefault(row.task_id, []).append((row.map_index, row.state))
    return found


def test_new_run_has_every_instance_it_starts_with(sessions: sessionmaker[Session], specs) -> None:  # type: ignore[no-untyped-def]
    group = TaskGroupSpec(group_id="g", expand=specs.literal(2))
    late = TaskGroupSpec(group_id="h", expand=specs.over("src"))
    spec = specs.dag(
        "d",
        specs.task("src", feeds_mapping=True),
        specs.task("lit", expand=specs.literal(3, 2)),
        specs.task("empty", expand=specs.literal(0)),
        specs.task("over", "src", expand=specs.over("src")),
        specs.task("g.a", task_group_id="g", mapped_group_ids=("g",)),
        specs.task("h.a", "src", task_group_id="h", mapped_group_ids=("h",)),
        groups=(group, late),
    )
    with sessions.begin() as session:
        serialized_dags.upsert(session, spec)
        run = dag_runs.create_dag_run(session, spec, run_id="r1", logical_date=DAY, data_interval=(DAY, DAY))
        assert run.state == "queued" and run.spec_hash
    with sessions() as session:
        assert _instances(session, "r1") == {
            "src": [(-1, None)],
            "lit": [(i, None) for i in range(6)],
            "empty": [(-1, "skipped")],
            "over": [(-1, None)],
            "g.a": [(0, None), (1, None)],
            "h.a": [(-1, None)],
        }
        row = task_instances.get_task_instance(session, task_instances.TaskInstanceKey("d", "r1", "lit", 5))
        assert row is not None and row.pool == "default_pool" and row.max_tries == 0 and row.try_number == 0


def test_instances_are_inserted_in_one_statement(db_url: str, sessions: sessionmaker[Session], specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("a"), specs.task("m", "a", expand=specs.literal(500)), specs.task("z", "m"))
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.get_engine(db_url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        with sessions.begin() as session:
            dag_runs.create_dag_run(session, spec, run_id="r1")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO TASK_INSTANCE")]
    assert len(inserts) == 1
    with sessions() as session:
        assert len(task_instances.list_for_run(session, "d", "r1")) == 502


def test_duplicate_run_id(sessions: sessionmaker[Session], specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("a"))
    with sessions.begin() as session:
        dag_runs.create_dag_run(session, spec, run_id="r1")
    with pytest.raises(DagRunAlreadyExists), sessions.begin() as session:
        dag_runs.create_dag_run(session, spec, run_id="r1")


def test_run_states_and_dates(sessions: sessionmaker[Session], specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("a"))
    with sessions.begin() as session:
        dag_runs.create_dag_run(session, spec, run_id="r1", logical_date=DAY)
        assert dag_runs.set_dag_run_state(session, "d", "r1", DagRunState.RUNNING)
        assert not dag_runs.set_dag_run_state(session, "d", "r1", DagRunState.RUNNING)
        assert dag_runs.set_dag_run_state(session, "d", "r1", DagRunState.SUCCESS)
    with sessions() as session:
        run = dag_runs.get_dag_run(session, "d", "r1")
        assert run.state == "success" and run.start_date and run.end_date and run.start_date <= run.end_date
        assert [r.run_id for r in dag_runs.list_dag_runs(session, dag_id="d", states=["success"])] == ["r1"]
        with pytest.raises(DagRunNotFound):
            dag_runs.get_dag_run(session, "d", "nope")
    with pytest.raises(IllegalStateTransition), sessions.begin() as session:
        dag_runs.create_dag_run(session, spec, run_id="r2", state=DagRunState.SUCCESS)


def test_delete_run_takes_its_instances(sessions: sessionmaker[Session], specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("a"), specs.task("m", expand=specs.literal(3)))
    with sessions.begin() as session:
        dag_runs.create_dag_run(session, spec, run_id="r1")
        dag_runs.create_dag_run(session, spec, run_id="r2")
    with sessions.begin() as session:
        assert dag_runs.delete_dag_run(session, "d", "r1")
        assert not dag_runs.delete_dag_run(session, "d", "r1")
    with sessions() as session:
        assert task_instances.list_for_run(session, "d", "r1") == []
        assert len(task_instances.list_for_run(session, "d", "r2")) == 4


def test_serialized_dags_round_trip_and_cache(sessions: sessionmaker[Session], specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag("d", specs.task("a", owner="ann"), specs.task("b", "a"), tags=("x",))
    with sessions.begin() as session:
        first = serialized_dags.upsert(session, spec)
        assert serialized_dags.upsert(session, spec) == first
    serialized_dags.clear_cache()
    with sessions() as session:
        assert serialized_dags.load(session, "d") == spec
        assert serialized_dags.load_versions(session, ["d"])["d"][0] == first
        with pytest.raises(DagNotFound):
            serialized_dags.load(session, "nope")
    changed = specs.dag("d", specs.task("a"), specs.task("c", "a"))
    with sessions.begin() as session:
        assert serialized_dags.upsert(session, changed) != first
    with sessions() as session:
        assert serialized_dags.load(session, "d") == changed
        assert [t.task_id for t in serialized_dags.load(session, "d").tasks] == ["a", "c"]
