"""A workload names the try it is about: a stale one (a broker redelivering a dead worker's message) starts
nothing, and a try found dead and superseded by a newer one cannot end it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState
from dagmap.store.queries import dag_runs, task_instances, tries

TI = TaskInstanceState
A = TaskInstanceKey("d", "r1", "a")


@pytest.fixture
def scheduled(sessions: sessionmaker[Session], specs) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        dag_runs.create_dag_run(session, specs.dag("d", specs.task("a", retries=2)), run_id="r1")
        task_instances.set_states(session, "d", "r1", ["a"], TI.SCHEDULED, from_states=[None])


def _ended(try_number: int, state: TaskInstanceState = TI.SUCCESS) -> tries.EndedTry:
    now = datetime.now(UTC)
    return tries.EndedTry(A, state, try_number, start_date=now, end_date=now, hostname="h")


@pytest.mark.usefixtures("scheduled")
def test_only_the_try_a_workload_names_starts(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert tries.start_tries(session, [A], hostname="h", pid=1, try_numbers={A: 2}) == {}
        assert tries.start_tries(session, [A], hostname="h", pid=1, try_numbers={A: 1}) == {A: tries.Started(1, 2)}
        assert tries.end_tries(session, [_ended(1, TI.UP_FOR_RETRY)]) == [A]
        assert tries.start_tries(session, [A], hostname="h", pid=1, try_numbers={A: 1}) == {}  # redelivered
        assert task_instances.start_try(session, A, hostname="h", pid=1, try_number=1) is None
        assert task_instances.start_try(session, A, hostname="h", pid=1, try_number=2) == (2, 2, TI.UP_FOR_RETRY)
        row = task_instances.get_task_instance(session, A)
        assert row is not None and (row.state, row.try_number) == ("running", 2)


@pytest.mark.usefixtures("scheduled")
def test_a_superseded_try_cannot_end_the_newer_one(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert tries.start_tries(session, [A], hostname="h", pid=1) == {A: tries.Started(1, 2)}
        assert tries.end_tries(session, [_ended(1, TI.UP_FOR_RETRY)]) == [A]  # as if found dead
        assert tries.start_tries(session, [A], hostname="h", pid=2) == {A: tries.Started(2, 2)}
        assert not task_instances.heartbeat(session, A, 1)  # the frozen try 1 wakes up: its beats miss
        assert task_instances.heartbeat(session, A, 2)
        assert tries.end_tries(session, [_ended(1)]) == []  # and its end changes nothing
        row = task_instances.get_task_instance(session, A)
        assert row is not None and (row.state, row.try_number) == ("running", 2)
        assert tries.end_tries(session, [_ended(2)]) == [A]
