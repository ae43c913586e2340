"""An instance queued by a live scheduler that no worker ever starts (its message lost) goes back to scheduled
after task_queued_timeout and runs, without spending a try."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from service_harness import (
    ServiceProcess,
    dag_stored,
    instances,
    live_job_of,
    run_state,
    service_env,
    trigger,
    wait_until,
)
from sqlalchemy import update

from dagmap.states import TaskInstanceState
from dagmap.store import db
from dagmap.store.orm import TaskInstanceRow
from dagmap.store.queries import dags, task_instances

DAG = textwrap.dedent(
    """
    from datetime import datetime
    from dagmap import dag, task

    @dag(schedule=None, start_date=datetime(2024, 1, 1), is_paused_upon_creation=True)
    def lost_message():
        @task
        def hello():
            return "hello"

        hello()

    lost_message()
    """
)


def test_an_instance_stuck_in_queued_is_queued_again_after_the_timeout(
    sqlite_url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    url = sqlite_url
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "lost_message.py").write_text(DAG)
    scheduler = services(["scheduler"], service_env(url, tmp_path, folder))
    wait_until(lambda: dag_stored(url, "lost_message"), timeout=30, what="the DAG", watch=[scheduler])
    job_id = wait_until(lambda: live_job_of(url, scheduler.pid), timeout=10, what="the scheduler's job")
    run_id = trigger(url, "lost_message")  # the DAG is paused: the scheduler leaves the run alone
    with db.session_factory(url).begin() as session:
        moved = task_instances.set_states(
            session, "lost_message", run_id, ["hello"], TaskInstanceState.QUEUED, from_states=[None]
        )
        session.execute(update(TaskInstanceRow).values(queued_by=str(job_id)))  # queued by the live scheduler
        dags.set_paused(session, "lost_message", False)
    assert moved == 1
    wait_until(lambda: run_state(url, "lost_message", run_id) == "success", timeout=30, what="the run")
    [(_, _, state, try_number, _)] = instances(url, "lost_message", run_id)
    assert (state, try_number) == ("success", 1)
    assert "queued for more than 3s (task_queued_timeout): scheduled again" in scheduler.log
    assert scheduler.stop() == 0
