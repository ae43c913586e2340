"""``dagmap scheduler`` as a real process with the LocalExecutor: it parses the DAGs folder, creates scheduled
runs, runs triggered ones, and stops gracefully on SIGTERM and SIGINT (running tasks finish, job ended)."""

from __future__ import annotations

import signal
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from service_harness import (
    ServiceProcess,
    dag_stored,
    instances,
    live_job_of,
    query,
    run_state,
    scheduler_jobs,
    service_env,
    trigger,
    wait_until,
)
from sqlalchemy import select

from dagmap.config import reset_settings
from dagmap.errors import ConfigurationError
from dagmap.services.standalone import build_executor
from dagmap.store.orm import DagRunRow
from dagmap.store.queries import import_errors

DAILY = textwrap.dedent(
    """
    from datetime import datetime
    from dagmap import dag, task

    @dag(schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False)
    def daily_fan():
        @task
        def double(x):
            return 2 * x

        @task
        def total(values):
            return sum(values)

        total(double.expand(x=[1, 2, 3]))

    daily_fan()
    """
)
WAITING = textwrap.dedent(
    """
    import os
    import time
    from datetime import datetime
    from pathlib import Path
    from dagmap import dag, task

    @dag(schedule=None, start_date=datetime(2024, 1, 1))
    def waits_for_file():
        @task
        def wait():
            Path(os.environ["MARKER"] + ".started").touch()
            deadline = time.monotonic() + 60
            while not Path(os.environ["MARKER"]).exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            return "released"

        wait()

    waits_for_file()
    """
)
FAN_OUT = Path(__file__).resolve().parents[3] / "examples" / "dags" / "fan_out.py"


def dags_folder(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.py").write_text(text)
    return folder


def test_scheduled_and_triggered_runs_succeed_and_sigterm_ends_the_job(
    url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    folder = dags_folder(tmp_path, daily=DAILY, fan_out=FAN_OUT.read_text())
    scheduler = services(["scheduler"], service_env(url, tmp_path, folder))

    def scheduled_runs() -> list[tuple[str, str]]:
        statement = select(DagRunRow.run_type, DagRunRow.state).where(DagRunRow.dag_id == "daily_fan")
        return [tuple(row) for row in query(url, lambda s: s.execute(statement).all())]  # type: ignore[misc]

    wait_until(
        lambda: ("scheduled", "success") in scheduled_runs(), timeout=60, what="the daily run", watch=[scheduler]
    )
    wait_until(lambda: dag_stored(url, "fan_out"), timeout=30, what="fan_out parsed", watch=[scheduler])
    run_id = trigger(url, "fan_out")
    wait_until(lambda: run_state(url, "fan_out", run_id) == "success", timeout=60, what="fan_out", watch=[scheduler])
    assert sorted((t, i, s) for t, i, s, *_ in instances(url, "fan_out", run_id)) == [
        ("add", 0, "success"),
        ("add", 1, "success"),
        ("add", 2, "success"),
        ("numbers", -1, "success"),
        ("total", -1, "success"),
    ]
    assert scheduled_runs() == [("scheduled", "success")]  # catchup is off: one run, for yesterday
    job_id = live_job_of(url, scheduler.pid)
    assert scheduler.stop() == 0
    assert (job_id, "success", scheduler.pid) in scheduler_jobs(url)
    assert "scheduler stopped" in scheduler.log


def test_sigint_lets_the_running_task_finish_before_the_scheduler_exits(
    sqlite_url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    folder = dags_folder(tmp_path, waits=WAITING)
    marker = tmp_path / "release"
    scheduler = services(["scheduler"], service_env(sqlite_url, tmp_path, folder, MARKER=str(marker)))
    wait_until(lambda: dag_stored(sqlite_url, "waits_for_file"), timeout=30, what="the DAG", watch=[scheduler])
    run_id = trigger(sqlite_url, "waits_for_file")
    wait_until(lambda: Path(f"{marker}.started").exists(), timeout=30, what="the task to start", watch=[scheduler])
    scheduler.signal(signal.SIGINT)
    wait_until(lambda: "stopping after the running tasks end" in scheduler.log, timeout=10, what="the SIGINT")
    assert scheduler.alive  # it waits for the task
    marker.touch()
    assert scheduler.wait(30) == 0
    assert [s for _, _, s, *_ in instances(sqlite_url, "waits_for_file", run_id)] == ["success"]
    assert [state for _, state, _ in scheduler_jobs(sqlite_url)] == ["success"]


def test_dag_processor_once_stores_the_folder_and_exits(
    sqlite_url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    folder = dags_folder(tmp_path, daily=DAILY, broken="from dagmap import DAG\nraise RuntimeError('nope')\n")
    processor = services(["dag-processor", "--once"], service_env(sqlite_url, tmp_path, folder), name="processor")
    assert processor.wait(60) == 0
    assert dag_stored(sqlite_url, "daily_fan")
    errors = query(sqlite_url, lambda s: [(row.filename, row.error) for row in import_errors.list_errors(s)])
    assert [(Path(name).name, "RuntimeError: nope" in text) for name, text in errors] == [("broken.py", True)]


def test_the_executor_is_the_one_the_settings_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from dagmap.executors.celery import CeleryExecutor
    from dagmap.executors.local import LocalExecutor

    assert isinstance(build_executor("LocalExecutor"), LocalExecutor)
    monkeypatch.setenv("DAGMAP__CORE__EXECUTOR", "CeleryExecutor")
    reset_settings()
    assert isinstance(build_executor(), CeleryExecutor)
    with pytest.raises(ConfigurationError, match="unknown executor 'KubernetesExecutor'"):
        build_executor("KubernetesExecutor")
