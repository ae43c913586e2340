"""Two schedulers on one PostgreSQL database share the work without ever running an instance twice (row locks,
SKIP LOCKED); on SQLite a second scheduler is refused while the first runs."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from service_harness import (
    ServiceProcess,
    dag_stored,
    history,
    instances,
    live_job_of,
    run_state,
    service_env,
    trigger,
    wait_until,
)

N = 150
RUNS = 4
DAG = textwrap.dedent(
    f"""
    import time
    from datetime import datetime
    from dagmap import dag, task

    @dag(schedule=None, start_date=datetime(2024, 1, 1), max_active_runs={RUNS}, max_active_tasks=64)
    def shared():
        @task
        def items():
            return list(range({N}))

        @task
        def work(x):
            time.sleep(0.005)
            return x

        @task
        def total(values):
            return sum(values)

        total(work.expand(x=items()))

    shared()
    """
)


def folder_with_dag(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "shared.py").write_text(DAG)
    return folder


def test_two_schedulers_on_postgres_never_run_an_instance_twice(
    postgres_url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    url = postgres_url
    env = service_env(url, tmp_path, folder_with_dag(tmp_path))
    first = services(["scheduler"], env, name="first")
    second = services(["scheduler", "--no-dag-processor"], env, name="second")
    both = [first, second]
    wait_until(lambda: dag_stored(url, "shared"), timeout=30, what="the DAG", watch=both)
    jobs = {wait_until(lambda p=p: live_job_of(url, p.pid), timeout=20, what="both jobs", watch=both) for p in both}
    run_ids = [trigger(url, "shared") for _ in range(RUNS)]
    for run_id in run_ids:
        wait_until(lambda r=run_id: run_state(url, "shared", r) == "success", timeout=90, what=r"a run", watch=both)
    queued_by: Counter[str | None] = Counter()
    for run_id in run_ids:
        rows = instances(url, "shared", run_id)
        assert len(rows) == N + 2
        assert {(state, tries) for _, _, state, tries, _ in rows} == {("success", 1)}
        queued_by.update(by for *_, by in rows)
        tries = history(url, "shared", run_id)
        assert Counter((task, index) for task, index, *_ in tries).most_common(1)[0][1] == 1
        assert len(tries) == N + 2
    assert set(queued_by) == {str(job) for job in jobs}  # both schedulers queued work
    assert first.stop() == 0 and second.stop() == 0


def test_a_second_scheduler_on_sqlite_is_refused(
    sqlite_url: str, tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    env = service_env(sqlite_url, tmp_path, folder_with_dag(tmp_path))
    first = services(["scheduler"], env, name="first")
    wait_until(lambda: live_job_of(sqlite_url, first.pid), timeout=20, what="the first job", watch=[first])
    second = services(["scheduler"], env, name="second")
    assert second.wait(30) == 1
    assert "another scheduler is running on this SQLite database" in second.log
    assert f"pid {first.pid}" in second.log
    assert first.alive
    assert first.stop() == 0
