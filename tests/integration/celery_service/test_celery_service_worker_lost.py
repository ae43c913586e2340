"""A Celery worker killed -9 (its whole process group) mid-task under a real ``dagmap scheduler``: its try is
found dead by its missed heartbeats and retried on a fresh worker (or failed when out of retries). The
killed worker's message was never acknowledged (acks_late): RabbitMQ hands it out again as soon as the
connection drops, Redis once its visibility timeout passes; a redelivered message of a finished try never
runs the task again."""

from __future__ import annotations

import os
import signal
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from celery_deployment import CeleryDeployment, received, redeliver_unacked, result_line
from celery_workers import Worker
from service_harness import dag_stored, history, instances, run_state, trigger, wait_until

DAG = textwrap.dedent(
    """
    import os
    import time
    from datetime import datetime, timedelta
    from pathlib import Path
    from dagmap import dag, get_current_context, task

    @dag(schedule=None, start_date=datetime(2024, 1, 1))
    def losing_celery_worker():
        @task(retries=int(os.environ["RETRIES"]), retry_delay=timedelta(seconds=float(os.environ["RETRY_DELAY"])))
        def nap():
            context = get_current_context()
            try_number = context["ti"].try_number
            with (Path(os.environ["PID_DIR"]) / f"{context['run_id']}.tries").open("a") as ran:
                print(try_number, file=ran)  # which tries ran, each time one runs
            if try_number == 1:
                time.sleep(60)
            return try_number

        nap()

    losing_celery_worker()
    """
)
DAG_ID = "losing_celery_worker"


def start(
    deploy: Callable[..., CeleryDeployment], url: str, broker: str, tmp_path: Path, retries: int, retry_delay: float
) -> tuple[CeleryDeployment, Worker, str]:
    """A scheduler, one worker, and a run whose first try is asleep in that worker."""
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / f"{DAG_ID}.py").write_text(DAG)
    env = {"RETRIES": str(retries), "RETRY_DELAY": str(retry_delay), "PID_DIR": str(tmp_path)}
    deployment = deploy(url, broker, folder, **env)
    scheduler = deployment.scheduler()
    [worker] = deployment.start_workers()
    wait_until(lambda: dag_stored(url, DAG_ID), timeout=30, what="the DAG", watch=[scheduler])
    run_id = trigger(url, DAG_ID)
    wait_until(lambda: ran(tmp_path, run_id) == [1], timeout=30, what="try 1 to start", watch=[scheduler])
    return deployment, worker, run_id


def ran(folder: Path, run_id: str) -> list[int]:
    """The try numbers the task ran as, in order (one line each time it ran)."""
    path = folder / f"{run_id}.tries"
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def tries(url: str, run_id: str) -> list[tuple[int, str | None, str | None]]:
    return sorted((number, state, error) for _, _, number, state, error in history(url, DAG_ID, run_id))


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize(("broker", "retries"), [("redis", 1), ("rabbitmq", 1), ("redis", 0)])
def test_a_celery_worker_killed_mid_task_is_found_by_its_heartbeats_and_retried_or_failed(
    postgres_url: str, tmp_path: Path, deploy: Callable[..., CeleryDeployment], broker: str, retries: int
) -> None:
    url = postgres_url
    deployment, victim, run_id = start(deploy, url, broker, tmp_path, retries, retry_delay=0)
    [first_message] = received(victim)
    victim.stop()  # kill -9 of the worker's process group: the main process and its pool process
    [fresh] = deployment.start_workers()

    final = "success" if retries else "failed"
    wait_until(lambda: run_state(url, DAG_ID, run_id) == final, timeout=30, what=f"the run {final}")
    [(_, _, state, try_number, _)] = instances(url, DAG_ID, run_id)
    assert (state, try_number) == (final, 1 + retries)
    first, *rest = tries(url, run_id)
    assert first[:2] == (1, "up_for_retry" if retries else "failed")
    assert "no heartbeat for 3s" in str(first[2])
    assert [number_state[:2] for number_state in rest] == ([(2, "success")] if retries else [])

    # The killed worker's message of try 1 comes back to the fresh worker: on RabbitMQ at once (while try 1
    # is running, or after it was found dead: see the test below), on Redis once the visibility timeout
    # has passed (brought forward here, after the run ended: it must not start anything).
    if broker == "redis":
        assert len(redeliver_unacked(deployment)) == 1
    line = wait_until(lambda: result_line(fresh, first_message), timeout=30, what="the stale message to be taken")
    if broker == "redis":
        assert line.endswith(": None"), line
    assert tries(url, run_id) == [first, *rest]
    assert ran(tmp_path, run_id) == list(range(1, 2 + retries)), "the task ran once per try"
    [(_, _, state_after, try_after, _)] = instances(url, DAG_ID, run_id)
    assert (state_after, try_after) == (final, 1 + retries)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_redelivered_message_of_a_dead_try_does_not_start_the_retry_early(
    postgres_url: str, tmp_path: Path, deploy: Callable[..., CeleryDeployment]
) -> None:
    """RabbitMQ requeues the killed worker's message at once; the instance waits for its retry (up_for_retry,
    an hour's retry_delay) when a fresh worker takes it: the message names try 1, so it must not start try 2.
    (On Redis the same happens once the visibility timeout has passed.)"""
    url = postgres_url
    deployment, victim, run_id = start(deploy, url, "rabbitmq", tmp_path, retries=1, retry_delay=3600)
    [first_message] = received(victim)
    victim.stop()
    wait_until(lambda: tries(url, run_id), timeout=30, what="the dead try to be found")
    [fresh] = deployment.start_workers()
    line = wait_until(lambda: result_line(fresh, first_message), timeout=30, what="the stale message to be taken")
    [(_, _, state, try_number, _)] = instances(url, DAG_ID, run_id)
    assert (state, try_number) == ("up_for_retry", 1)
    assert [t[:2] for t in tries(url, run_id)] == [(1, "up_for_retry")]
    assert ran(tmp_path, run_id) == [1]
    assert line.endswith(": None"), line


FROZEN_DAG = textwrap.dedent(
    """
    import os
    import time
    from datetime import datetime, timedelta
    from pathlib import Path
    from dagmap import dag, get_current_context, task

    @dag(schedule=None, start_date=datetime(2024, 1, 1))
    def frozen_celery_worker():
        @task(retries=1, retry_delay=timedelta(0))
        def wait_for_release():
            context = get_current_context()
            folder, try_number = Path(os.environ["PID_DIR"]), context["ti"].try_number
            (folder / f"{context['run_id']}.{try_number}.pid").write_text(str(os.getpid()))
            while not (folder / f"release.{try_number}").exists():
                time.sleep(0.05)
            return try_number

        wait_for_release()

    frozen_celery_worker()
    """
)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_frozen_celery_worker_that_wakes_up_cannot_end_the_newer_try(
    postgres_url: str, tmp_path: Path, deploy: Callable[..., CeleryDeployment]
) -> None:
    """SIGSTOP of the worker's process group (a paused VM, a long GC pause): try 1 misses its heartbeats
    and try 2 runs on a fresh worker. Try 1 then wakes up and returns while try 2 still runs: its end must
    be refused, and try 2's recorded."""
    url, dag_id = postgres_url, "frozen_celery_worker"
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / f"{dag_id}.py").write_text(FROZEN_DAG)
    deployment = deploy(url, "redis", folder, PID_DIR=str(tmp_path))
    scheduler = deployment.scheduler()
    [frozen] = deployment.start_workers()
    wait_until(lambda: dag_stored(url, dag_id), timeout=30, what="the DAG", watch=[scheduler])
    run_id = trigger(url, dag_id)
    wait_until((tmp_path / f"{run_id}.1.pid").exists, timeout=30, what="try 1 to start", watch=[scheduler])
    [first_message] = received(frozen)
    os.killpg(frozen.process.pid, signal.SIGSTOP)
    try:
        [fresh] = deployment.start_workers()
        wait_until((tmp_path / f"{run_id}.2.pid").exists, timeout=30, what="try 2 to start", watch=[scheduler])
        (tmp_path / "release.1").touch()
    finally:
        os.killpg(frozen.process.pid, signal.SIGCONT)
    wait_until(lambda: result_line(frozen, first_message), timeout=30, what="try 1 to return")
    (tmp_path / "release.2").touch()
    [second_message] = received(fresh)
    wait_until(lambda: result_line(fresh, second_message), timeout=30, what="try 2 to return")
    wait_until(lambda: run_state(url, dag_id, run_id) == "success", timeout=30, what="the run", watch=[scheduler])
    history_of_run = sorted((number, state) for _, _, number, state, _ in history(url, dag_id, run_id))
    assert history_of_run == [(1, "up_for_retry"), (2, "success")]
    [(_, _, state, try_number, _)] = instances(url, dag_id, run_id)
    assert (state, try_number) == ("success", 2)
