"""A scheduler step issues the same number of SQL statements for 10 mapped instances as for 1,000.

Behaviour, not timing: statements are counted with a SQLAlchemy event listener around each ``step()``;
what tasks do in between is simulated in bulk outside the count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from scheduler_harness import HoldingExecutor
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from dagmap.model.keys import TaskInstanceKey
from dagmap.model.spec import DagSpec, TaskGroupSpec
from dagmap.scheduler.loop import SchedulerLoop
from dagmap.states import DagRunState, TaskInstanceState
from dagmap.store import db
from dagmap.store.queries import dag_runs, serialized_dags, task_instances

TI = TaskInstanceState
EVERY = [None, *TI]


@contextmanager
def counting(url: str) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.get_engine(url)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _finish(session: Session, run_id: str, task_id: str, state: TaskInstanceState, ranges=None) -> None:  # type: ignore[no-untyped-def]
    """Tasks ran (simulated in bulk): queued/scheduled -> running -> state."""
    task_instances.set_states(session, "d", run_id, [task_id], TI.RUNNING, from_states=EVERY, ranges=ranges)
    task_instances.set_states(session, "d", run_id, [task_id], state, from_states=[TI.RUNNING], ranges=ranges)


def _run_counting(
    url: str, sessions: sessionmaker[Session], spec: DagSpec, n: int, between: list[Callable[[Session], None]]
) -> list[int]:
    """Statements per step: one step, then for each simulation in ``between`` run it and step again."""
    run_id = f"run_{n}"
    with sessions.begin() as session:
        serialized_dags.upsert(session, spec)
        dag_runs.create_dag_run(session, spec, run_id=run_id)
    loop = SchedulerLoop(HoldingExecutor(), session_factory=sessions)
    counts = []
    for simulate in [lambda session: None, *between]:
        with sessions.begin() as session:
            simulate(session)
        with counting(url) as statements:
            loop.step([("d", run_id)])
        counts.append(len(statements))
    return counts


def _mapped_over_upstream(specs, n: int) -> tuple[DagSpec, list[Callable[[Session], None]]]:  # type: ignore[no-untyped-def]
    spec = specs.dag(
        "d",
        specs.task("src", feeds_mapping=True),
        specs.task("m", "src", expand=specs.over("src")),
        specs.task("reduce", "m"),
    )
    run_id = f"run_{n}"

    def src_done(session: Session) -> None:
        _finish(session, run_id, "src", TI.SUCCESS)
        task_instances.record_task_map(session, TaskInstanceKey("d", run_id, "src"), length=n, keys=None)

    return spec, [
        src_done,
        lambda session: _finish(session, run_id, "m", TI.SUCCESS),
        lambda session: _finish(session, run_id, "reduce", TI.SUCCESS),
    ]


def _mapped_group_with_a_failure(specs, n: int) -> tuple[DagSpec, list[Callable[[Session], None]]]:  # type: ignore[no-untyped-def]
    inside = {"task_group_id": "g", "mapped_group_ids": ("g",)}
    spec = specs.dag(
        "d",
        specs.task("src", feeds_mapping=True),
        specs.task("g.x", "src", **inside),
        specs.task("g.y", "g.x", **inside),
        specs.task("after", "g.y", trigger_rule="all_done"),
        groups=(TaskGroupSpec(group_id="g", expand=specs.over("src")),),
    )
    run_id = f"run_{n}"

    def src_done(session: Session) -> None:
        _finish(session, run_id, "src", TI.SUCCESS)
        task_instances.record_task_map(session, TaskInstanceKey("d", run_id, "src"), length=n, keys=None)

    def x_done_but_index_one(session: Session) -> None:
        _finish(session, run_id, "g.x", TI.FAILED, ranges=[(1, 1)])
        _finish(session, run_id, "g.x", TI.SUCCESS)

    return spec, [
        src_done,
        x_done_but_index_one,
        lambda session: _finish(session, run_id, "g.y", TI.SUCCESS),
        lambda session: _finish(session, run_id, "after", TI.SUCCESS),
    ]


@pytest.mark.parametrize("build", [_mapped_over_upstream, _mapped_group_with_a_failure])
def test_statements_per_step_do_not_grow_with_the_number_of_instances(
    db_url: str,
    sessions: sessionmaker[Session],
    specs,
    build,  # type: ignore[no-untyped-def]
) -> None:
    small_spec, small_between = build(specs, 10)
    small = _run_counting(db_url, sessions, small_spec, 10, small_between)
    large_spec, large_between = build(specs, 1000)
    large = _run_counting(db_url, sessions, large_spec, 1000, large_between)
    assert small == large, (small, large)
    assert max(large) < 40
    with sessions() as session:
        assert dag_runs.get_dag_run(session, "d", "run_1000").state == DagRunState.SUCCESS.value
        instances = task_instances.list_for_run(session, "d", "run_1000")
        assert len(instances) > 1000
