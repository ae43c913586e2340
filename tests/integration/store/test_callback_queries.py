"""DAG callback requests: claimed by one caller only, finished once, abandoned claims failed (never rerun)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from dagmap.store.queries import callbacks

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def add(sessions: sessionmaker[Session], run_id: str, *, failure: bool = True) -> None:
    with sessions.begin() as session:
        callbacks.add(
            session,
            dag_id="d",
            run_id=run_id,
            fileloc="/dags/d.py",
            is_failure=failure,
            reason="task_failure" if failure else "success",
            detail="leaf task 't' is failed" if failure else None,
            now=NOW,
        )


def states(sessions: sessionmaker[Session]) -> dict[str, tuple[str, str | None]]:
    with sessions() as session:
        return {r.run_id: (r.state, r.error) for r in callbacks.list_requests(session, dag_id="d")}


def test_requests_are_claimed_oldest_first_once_and_finished_once(sessions: sessionmaker[Session]) -> None:
    for run_id in ("r1", "r2", "r3"):
        add(sessions, run_id, failure=run_id != "r2")
    with sessions.begin() as session:
        first = callbacks.claim(session, limit=2, claimed_by="a", now=NOW)
    assert [(r.run_id, r.is_failure, r.reason, r.fileloc) for r in first] == [
        ("r1", True, "task_failure", "/dags/d.py"),
        ("r2", False, "success", "/dags/d.py"),
    ]
    with sessions.begin() as session:
        second = callbacks.claim(session, limit=5, claimed_by="b", now=NOW)
        assert callbacks.claim(session, limit=5, claimed_by="c", now=NOW) == []
    assert [r.run_id for r in second] == ["r3"]
    with sessions.begin() as session:
        assert callbacks.finish(session, first[0].id, now=NOW)
        assert callbacks.finish(session, first[1].id, error="ValueError: boom", now=NOW)
        assert not callbacks.finish(session, first[0].id, error="late", now=NOW)  # finished once
    assert states(sessions) == {"r1": ("success", None), "r2": ("failed", "ValueError: boom"), "r3": ("running", None)}


def test_claim_for_one_run_leaves_the_others_pending(sessions: sessionmaker[Session]) -> None:
    add(sessions, "r1")
    add(sessions, "r2")
    with sessions.begin() as session:
        claimed = callbacks.claim(session, limit=10, claimed_by="dags test", run=("d", "r2"))
    assert [r.run_id for r in claimed] == ["r2"]
    assert states(sessions)["r1"] == ("pending", None)


def test_claims_abandoned_by_a_stopped_processor_fail_and_are_never_run_again(sessions: sessionmaker[Session]) -> None:
    add(sessions, "old")
    add(sessions, "new")
    with sessions.begin() as session:
        [old] = callbacks.claim(session, limit=1, claimed_by="a", now=NOW - timedelta(hours=1))
        callbacks.claim(session, limit=1, claimed_by="b", now=NOW)
    with sessions.begin() as session:
        assert callbacks.fail_abandoned(session, claimed_before=NOW - timedelta(minutes=5), now=NOW) == 1
        assert not callbacks.finish(session, old.id)  # the processor that claimed it cannot finish it any more
        assert callbacks.claim(session, limit=5, claimed_by="c", now=NOW) == []
    found = states(sessions)
    assert found["old"][0] == "failed" and "stopped" in (found["old"][1] or "")
    assert found["new"] == ("running", None)


def test_a_request_locked_by_one_claimer_is_skipped_by_another(sessions: sessionmaker[Session], db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's (SQLite has one writer; the guarded UPDATE still claims once)")
    add(sessions, "r1")
    add(sessions, "r2")
    with sessions.begin() as first:
        claimed = callbacks.claim(first, limit=1, claimed_by="a", now=NOW)
        # While the first transaction holds its row lock, a second claimer skips that row, never waits.
        with sessions.begin() as second:
            other = callbacks.claim(second, limit=5, claimed_by="b", now=NOW)
    assert ([r.run_id for r in claimed], [r.run_id for r in other]) == (["r1"], ["r2"])
    assert states(sessions) == {"r1": ("running", None), "r2": ("running", None)}


def test_deleting_a_run_deletes_its_callback_requests(sessions: sessionmaker[Session], specs) -> None:  # type: ignore[no-untyped-def]
    from dagmap.store.queries import dag_runs

    spec = specs.dag("d", specs.task("a"))
    with sessions.begin() as session:
        for run_id in ("r1", "r2"):
            dag_runs.create_dag_run(session, spec, run_id=run_id)
            callbacks.add(session, dag_id="d", run_id=run_id, fileloc="/d.py", is_failure=True, reason="task_failure")
        assert dag_runs.delete_dag_run(session, "d", "r1")
    with sessions() as session:
        assert [r.run_id for r in callbacks.list_requests(session, dag_id="d")] == ["r2"]
