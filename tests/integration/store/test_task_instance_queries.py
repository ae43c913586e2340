"""The one module that changes task instance states: the runner's calls and the scheduler's bulk moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dagmap.errors import IllegalStateTransition, TaskInstanceNotFound
from dagmap.model.keys import TaskInstanceKey
from dagmap.states import TaskInstanceState
from dagmap.store.orm import TaskInstanceHistoryRow
from dagmap.store.queries import dag_runs, task_instances

TI = TaskInstanceState
A = TaskInstanceKey("d", "r1", "a")


@pytest.fixture
def run(sessions: sessionmaker[Session], specs) -> None:  # type: ignore[no-untyped-def]
    spec = specs.dag(
        "d", specs.task("a", retries=2), specs.task("m", "a", expand=specs.literal(10)), specs.task("z", "m")
    )
    with sessions.begin() as session:
        dag_runs.create_dag_run(session, spec, run_id="r1")


def _states(sessions: sessionmaker[Session], task_id: str) -> list[str | None]:
    with sessions() as session:
        return [row.state for row in task_instances.list_for_run(session, "d", "r1", task_id=task_id)]


def _set(session: Session, task_id: str, state: TaskInstanceState, *, ranges=None) -> int:  # type: ignore[no-untyped-def]
    return task_instances.set_states(session, "d", "r1", [task_id], state, from_states=[None, *TI], ranges=ranges)


@pytest.mark.usefixtures("run")
def test_a_try_from_queued_to_success_with_history(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert _set(session, "a", TI.SCHEDULED) == 1
        assert _set(session, "a", TI.QUEUED) == 1
    with sessions.begin() as session:
        started = task_instances.start_try(session, A, hostname="h", pid=42, executor="InlineExecutor")
    assert started == task_instances.StartedTry(1, 2, TI.QUEUED)
    with sessions.begin() as session:
        assert task_instances.start_try(session, A, hostname="h", pid=43) is None  # already running
        assert task_instances.heartbeat(session, A)
        task_instances.finish_try(session, A, state=TI.SUCCESS, rendered_map_index="x" * 300)
    with sessions() as session:
        row = task_instances.get_task_instance(session, A)
        assert row is not None
        assert (row.state, row.try_number, row.hostname, row.pid) == ("success", 1, "h", 42)
        assert row.end_date is not None and row.duration is not None and row.duration >= 0
        assert row.rendered_map_index == "x" * 250
        history = session.execute(select(TaskInstanceHistoryRow)).scalars().all()
        assert [(h.try_number, h.state) for h in history] == [(1, "success")]
        assert not task_instances.heartbeat(session, A)
        assert task_instances.start_try(session, A, hostname="h", pid=1) is None  # finished


@pytest.mark.usefixtures("run")
def test_retry_then_failure(sessions: sessionmaker[Session]) -> None:
    later = datetime.now(UTC) + timedelta(minutes=5)
    with sessions.begin() as session:
        _set(session, "a", TI.SCHEDULED)
        assert task_instances.start_try(session, A, hostname="h", pid=1) == (1, 2, TI.SCHEDULED)
        task_instances.finish_try(session, A, state=TI.UP_FOR_RETRY, error="boom", next_retry_at=later)
        row = task_instances.get_task_instance(session, A)
        assert row is not None and row.state == "up_for_retry" and row.next_retry_at == later
        assert task_instances.start_try(session, A, hostname="h", pid=1) == (2, 2, TI.UP_FOR_RETRY)
        task_instances.finish_try(session, A, state=TI.FAILED, error="boom again")
    with sessions() as session:
        history = session.execute(select(TaskInstanceHistoryRow).order_by(TaskInstanceHistoryRow.id)).scalars()
        assert [(h.try_number, h.state, h.error) for h in history] == [
            (1, "up_for_retry", "boom"),
            (2, "failed", "boom again"),
        ]


@pytest.mark.usefixtures("run")
def test_illegal_moves_are_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IllegalStateTransition), sessions.begin() as session:
        task_instances.finish_try(session, A, state=TI.SUCCESS)  # not running
    with pytest.raises(IllegalStateTransition), sessions.begin() as session:
        task_instances.finish_try(session, A, state=TI.RUNNING)
    with pytest.raises(TaskInstanceNotFound), sessions.begin() as session:
        task_instances.start_try(session, A._replace(task_id="nope"), hostname="h", pid=1)
    with sessions.begin() as session:
        assert task_instances.start_try(session, A, hostname="h", pid=1) is None  # no status yet: not startable
        _set(session, "a", TI.SUCCESS)
        # success -> scheduled is illegal: the guarded UPDATE simply matches nothing
        assert task_instances.set_states(session, "d", "r1", ["a"], TI.SCHEDULED, from_states=[TI.SUCCESS]) == 0
        assert _set(session, "a", TI.REMOVED) == 1  # success -> removed is legal
    assert _states(sessions, "a") == ["removed"]


@pytest.mark.usefixtures("run")
def test_set_states_by_map_index_ranges(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert _set(session, "m", TI.SCHEDULED, ranges=[(0, 2), (5, 5), (8, 9)]) == 6
    assert _states(sessions, "m") == ["scheduled"] * 3 + [None] * 2 + ["scheduled"] + [None] * 2 + ["scheduled"] * 2


@pytest.mark.usefixtures("run")
def test_skip_tasks_skips_only_instances_not_started(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _set(session, "m", TI.RUNNING, ranges=[(0, 1)])
        assert _set(session, "m", TI.SUCCESS, ranges=[(1, 1)]) == 1
        _set(session, "m", TI.QUEUED, ranges=[(2, 2)])
        assert task_instances.skip_tasks(session, "d", "r1", ["m"], map_index=3) == 1
        assert task_instances.skip_tasks(session, "d", "r1", ["m", "z"]) == 8
        assert task_instances.skip_tasks(session, "d", "r1", []) == 0
    assert _states(sessions, "m") == ["running", "success"] + ["skipped"] * 8
    assert _states(sessions, "z") == ["skipped"]


@pytest.mark.usefixtures("run")
def test_record_task_map_overwrites(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        task_instances.record_task_map(session, A, length=3, keys=None)
        task_instances.record_task_map(session, A, length=2, keys=["x", "y"])
    with sessions() as session:
        row = task_instances.get_task_map(session, A)
        assert row is not None and (row.length, row.keys) == (2, ["x", "y"])


@pytest.mark.usefixtures("run")
def test_queue_instances_moves_only_scheduled_ones(sessions: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        _set(session, "m", TI.SCHEDULED, ranges=[(0, 4)])
        keys = [TaskInstanceKey("d", "r1", "m", i) for i in range(7)]
        moved = task_instances.queue_instances(session, keys, now=now, queued_by="test")
    assert sorted(q.key.map_index for q in moved) == [0, 1, 2, 3, 4]
    assert all(q.try_number == 0 and q.pool == "default_pool" for q in moved)
    assert _states(sessions, "m") == ["queued"] * 5 + [None] * 5


@pytest.mark.usefixtures("run")
def test_lost_instances_spend_a_try(sessions: sessionmaker[Session]) -> None:
    key = TaskInstanceKey("d", "r1", "m", 3)
    later = datetime.now(UTC) + timedelta(seconds=30)
    with sessions.begin() as session:
        _set(session, "m", TI.QUEUED, ranges=[(3, 4)])
        assert task_instances.fail_lost(
            session, key, expected=TI.QUEUED, state=TI.UP_FOR_RETRY, next_retry_at=later, error="died"
        )
        assert not task_instances.fail_lost(
            session, key, expected=TI.QUEUED, state=TI.FAILED, next_retry_at=None, error="again"
        )
        row = task_instances.get_task_instance(session, key)
        assert row is not None and (row.state, row.try_number, row.next_retry_at) == ("up_for_retry", 1, later)


@pytest.mark.usefixtures("run")
def test_due_retries_become_scheduled(sessions: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        _set(session, "m", TI.RUNNING, ranges=[(0, 1)])
        for index, delay in ((0, -1), (1, 60)):
            key = TaskInstanceKey("d", "r1", "m", index)
            task_instances.finish_try(session, key, state=TI.UP_FOR_RETRY, next_retry_at=now + timedelta(seconds=delay))
        assert task_instances.schedule_due_retries(session, [("d", "r1")], now) == 1
    assert _states(sessions, "m")[:2] == ["scheduled", "up_for_retry"]
