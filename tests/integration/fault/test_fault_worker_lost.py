"""A LocalExecutor worker lost mid-task: killed (-9: the executor sees it die) or frozen (SIGSTOP: its
heartbeats stop). The try ends as failed and the instance is retried, or fails when out of retries."""

from __future__ import annotations

import os
import signal
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from service_harness import (
    ServiceProcess,
    dag_stored,
    history,
    instances,
    run_state,
    service_env,
    trigger,
    wait_until,
)

DAG = textwrap.dedent(
    """
    import os
    import time
    from datetime import datetime, timedelta
    from pathlib import Path
    from dagmap import dag, get_current_context, task

    @dag(schedule=None, start_date=datetime(2024, 1, 1))
    def losing_worker():
        @task(retries=int(os.environ["RETRIES"]), retry_delay=timedelta(0))
        def nap():
            context = get_current_context()
            if context["ti"].try_number == 1:
                (Path(os.environ["PID_DIR"]) / f"{context['run_id']}.pid").write_text(str(os.getpid()))
                time.sleep(60)
            return context["ti"].try_number

        nap()

    losing_worker()
    """
)


def start(
    url: str, tmp_path: Path, services: Callable[..., ServiceProcess], retries: int
) -> tuple[ServiceProcess, str, int]:
    """A scheduler, and a run whose first try is asleep in a worker; returns the worker's pid."""
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "losing_worker.py").write_text(DAG)
    env = service_env(url, tmp_path, folder, RETRIES=str(retries), PID_DIR=str(tmp_path))
    scheduler = services(["scheduler"], env)
    wait_until(lambda: dag_stored(url, "losing_worker"), timeout=30, what="the DAG", watch=[scheduler])
    run_id = trigger(url, "losing_worker")
    pid_file = tmp_path / f"{run_id}.pid"
    wait_until(pid_file.exists, timeout=30, what="the task to start", watch=[scheduler])
    return scheduler, run_id, int(pid_file.read_text())


def tries(url: str, run_id: str) -> list[tuple[int, str | None, str | None]]:
    return sorted((number, state, error) for _, _, number, state, error in history(url, "losing_worker", run_id))


@pytest.mark.parametrize("retries", [1, 0])
def test_a_worker_killed_mid_task_ends_the_try_and_the_instance_is_retried_or_failed(
    sqlite_url: str, tmp_path: Path, services: Callable[..., ServiceProcess], retries: int
) -> None:
    scheduler, run_id, pid = start(sqlite_url, tmp_path, services, retries)
    os.kill(pid, signal.SIGKILL)
    final = "success" if retries else "failed"
    wait_until(lambda: run_state(sqlite_url, "losing_worker", run_id) == final, timeout=30, what=f"the run {final}")
    [(_, _, state, try_number, _)] = instances(sqlite_url, "losing_worker", run_id)
    assert (state, try_number) == (final, 1 + retries)
    first, *rest = tries(sqlite_url, run_id)
    assert first[:2] == (1, "up_for_retry" if retries else "failed")
    assert "worker died (signal SIGKILL" in str(first[2])
    assert [number_state[:2] for number_state in rest] == ([(2, "success")] if retries else [])
    assert scheduler.stop() == 0


def test_a_frozen_worker_misses_its_heartbeats_and_its_instance_is_retried(
    postgres_url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    scheduler, run_id, pid = start(postgres_url, tmp_path, services, retries=1)
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_until(
            lambda: run_state(postgres_url, "losing_worker", run_id) == "success",
            timeout=30,
            what="the retry after missed heartbeats",
            watch=[scheduler],
        )
    finally:
        os.kill(pid, signal.SIGKILL)  # the frozen worker (a child of our scheduler) would never end
    first, second = tries(postgres_url, run_id)
    assert first[:2] == (1, "up_for_retry") and "no heartbeat for 3s" in str(first[2])
    assert second[:2] == (2, "success")
    assert "without heartbeat" in scheduler.log
    assert scheduler.stop() == 0
    [(_, _, state, try_number, _)] = instances(postgres_url, "losing_worker", run_id)
    assert (state, try_number) == ("success", 2)


LONG = textwrap.dedent(
    """
    import time
    from datetime import datetime
    from dagmap import dag, task

    @dag(schedule=None, start_date=datetime(2024, 1, 1))
    def long_task():
        @task(retries=1)
        def slow():
            time.sleep(4.5)  # longer than task_instance_heartbeat_timeout (3s)
            return "done"

        slow()

    long_task()
    """
)


def test_a_task_longer_than_the_heartbeat_timeout_keeps_beating_and_runs_once(
    sqlite_url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "long_task.py").write_text(LONG)
    scheduler = services(["scheduler"], service_env(sqlite_url, tmp_path, folder))
    wait_until(lambda: dag_stored(sqlite_url, "long_task"), timeout=30, what="the DAG", watch=[scheduler])
    run_id = trigger(sqlite_url, "long_task")
    wait_until(lambda: run_state(sqlite_url, "long_task", run_id) == "success", timeout=30, what="the run")
    [(_, _, state, try_number, _)] = instances(sqlite_url, "long_task", run_id)
    assert (state, try_number) == ("success", 1)
    assert "without heartbeat" not in scheduler.log
    assert scheduler.stop() == 0
